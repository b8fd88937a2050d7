// What the report is rendered from: the config's view of each pipeline plus the state. Rendering
// is a pure function of this value (render.ts); loading it is the only part that reads files.

import type { HostState, PipelineState, RunRecord } from '../state/types.ts';
import type { StepLogText } from '../state/step-log.ts';

export interface ReportEnvironment {
  name: string;
  hosts: string[];
  approval: 'auto' | 'manual';
}

export interface ReportPipelineConfig {
  name: string;
  repo: string;
  branch: string;
  environments: ReportEnvironment[];
}

export interface ReportConfig {
  title: string;
  secrets: string[];
  pipelines: ReportPipelineConfig[];
}

export interface ReportPipeline extends ReportPipelineConfig {
  state: PipelineState;
  /** Newest first. */
  runs: RunRecord[];
}

export interface ReportInput {
  title: string;
  generatedAt: Date;
  pipelines: ReportPipeline[];
  hosts: HostState[];
  /** Keyed `${pipeline}/${run}/${stepId}`. */
  logs: Map<string, StepLogText>;
  /** Masked as *** in every text written (logs, messages, URLs): defence in depth. */
  secrets: string[];
}

export function logKey(pipeline: string, run: number, stepId: string): string {
  return `${pipeline}/${run}/${stepId}`;
}
