// A report input with one of everything, for the report tests.
import type { ReportConfig, ReportInput } from '../../src/report/types.ts';
import type { RunRecord } from '../../src/state/types.ts';
import { sampleRun } from '../state/helpers.ts';

export const NOW = new Date('2024-05-01T12:00:00.000Z');

/** Two pipelines: app (staging web1, production web2 with approval) and other (qa qa1). */
export const twoPipelineConfig: ReportConfig = {
  title: 'ACME deploys',
  secrets: [],
  pipelines: [
    { name: 'app', repo: 'https://git.example.com/acme/app.git', branch: 'main', environments: [{ name: 'staging', hosts: ['web1'], approval: 'auto' }, { name: 'production', hosts: ['web2'], approval: 'manual' }] },
    { name: 'other', repo: 'https://git.example.com/acme/other.git', branch: 'main', environments: [{ name: 'qa', hosts: ['qa1'], approval: 'auto' }] },
  ],
};

export function deployedRun(over: Partial<RunRecord> = {}): RunRecord {
  return sampleRun({
    number: 2,
    status: 'deployed',
    finishedAt: '2024-05-01T10:03:22.000Z',
    stages: [
      {
        name: 'test',
        kind: 'test',
        status: 'passed',
        startedAt: '2024-05-01T10:00:02.000Z',
        finishedAt: '2024-05-01T10:01:00.000Z',
        steps: [{ id: 'test-1', name: 'npm test', status: 'passed', exitCode: 0, startedAt: '2024-05-01T10:00:02.000Z', finishedAt: '2024-05-01T10:01:00.000Z' }],
      },
      {
        name: 'deploy:staging',
        kind: 'deploy',
        environment: 'staging',
        status: 'passed',
        steps: [{ id: 'staging-web1-switch', name: 'web1: switch current', status: 'passed', host: 'web1', exitCode: 0 }],
        hosts: [{ host: 'web1', status: 'deployed', release: '20240501100100-0123456', previousRelease: '20240430090000-fedcba9' }],
      },
    ],
    ...over,
  });
}

export function waitingRun(): RunRecord {
  const run = deployedRun({ number: 3, status: 'waiting', finishedAt: undefined });
  run.stages.push({ name: 'deploy:production', kind: 'deploy', environment: 'production', status: 'waiting', steps: [] });
  return run;
}

export function sampleInput(over: Partial<ReportInput> = {}): ReportInput {
  return {
    title: 'ACME deploys',
    generatedAt: NOW,
    pipelines: [
      {
        name: 'app',
        repo: 'https://git.example.com/acme/app.git',
        branch: 'main',
        environments: [
          { name: 'staging', hosts: ['web1'], approval: 'auto' },
          { name: 'production', hosts: ['web2'], approval: 'manual' },
        ],
        state: {
          version: 1,
          pipeline: 'app',
          nextRunNumber: 4,
          environments: { staging: { commit: '0123456789abcdef0123456789abcdef01234567', release: '20240501100100-0123456', deployedAt: '2024-05-01T10:03:00.000Z', run: 2 } },
        },
        runs: [waitingRun(), deployedRun(), sampleRun({ status: 'failed', finishedAt: '2024-05-01T10:00:30.000Z' })],
      },
    ],
    hosts: [
      {
        version: 1,
        host: 'web1',
        pipelines: { app: { current: { release: '20240501100100-0123456', commit: '0123456789abcdef0123456789abcdef01234567', deployedAt: '2024-05-01T10:03:00.000Z', run: 2 }, releases: ['20240430090000-fedcba9', '20240501100100-0123456'] } },
      },
    ],
    logs: new Map([
      ['app/2/test-1', { text: '> npm test\n\x1b[32mok\x1b[0m 12 tests\n', truncated: false, size: 36 }],
      ['app/1/test-1', { text: 'tail of the log\nnot ok 3\n', truncated: true, size: 100_000 }],
    ]),
    secrets: [],
    ...over,
  };
}
