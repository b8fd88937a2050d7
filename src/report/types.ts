// What the report is rendered from. Two levels, because a state can hold 10,000 runs:
// - a ReportModel with a small RunSummary of every run (dashboard, lists, hosts, feed, badges);
// - a RunDetail (the whole record plus its log tails) only while that run's page is rendered.
// ReportInput is the everything-loaded form the tests and small states use (render.ts turns it
// into a model). Rendering is a pure function of these values; only load*.ts reads files.

import type { StatusLog } from '../state/status-log.ts';
import type { HostState, PipelineState, RunRecord, RunStatus } from '../state/types.ts';
import type { StepLogText } from '../state/step-log.ts';
import type { DoraEvent } from './dora.ts';

export interface ReportEnvironment {
  name: string;
  hosts: string[];
  approval: 'auto' | 'manual';
  /** Its deploy path: host facts are kept per path (state/host-key.ts). */
  path?: string;
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

/** What one host did in one deploy stage of a run. */
export interface DeploySummary {
  environment: string;
  host: string;
  status: string;
  release?: string;
}

/** The part of a run every page but its own needs; small enough to keep 10,000 in memory. */
export interface RunSummary {
  pipeline: string;
  number: number;
  status: RunStatus;
  commit: string;
  /** The branch the commit came from (absent in summaries cached before branches existed). */
  branch?: string;
  subject: string;
  author: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** The environment a waiting run is held at. */
  waitingAt?: string;
  deploys: DeploySummary[];
  error?: string;
  /** Its deploy and rollback stages, for the DORA numbers (src/report/dora.ts). */
  dora?: DoraEvent[];
}

export interface PipelineModel extends ReportPipelineConfig {
  state: PipelineState;
  /** Every run, newest first; only a digest's runs when `digest` is set (digest.ts). */
  runs: RunSummary[];
  /** Set when `runs` is a digest: how many runs there are and their numbers, newest first. */
  digest?: { count: number; numbers: readonly number[] };
}

export interface ReportModel {
  title: string;
  generatedAt: Date;
  pipelines: PipelineModel[];
  hosts: HostState[];
  /** Masked as *** in every text written (logs, messages, URLs): defence in depth. */
  secrets: string[];
}

export interface RunDetail {
  run: RunRecord;
  /** By step id. */
  logs: Map<string, StepLogText>;
  /** Commit statuses posted for this run (STATE/statuses/NAME/N.json), when any. */
  statuses?: StatusLog;
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
  secrets: string[];
}

export function logKey(pipeline: string, run: number, stepId: string): string {
  return `${pipeline}/${run}/${stepId}`;
}
