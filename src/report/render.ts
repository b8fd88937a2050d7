// The report as a pure function of the state. No clock, no disk: the same input gives the same
// files, which is what the tests pin. The pieces are separate so an update can render only the
// files that depend on what changed (update.ts); renderReport renders them all.

import { APP_CSS, APP_JS, FAVICON_SVG } from './assets.ts';
import { branchBadge, environmentBadge, otherRunBranches, pipelineBadge } from './badges.ts';
import { renderDashboard } from './dashboard.ts';
import { renderFeed } from './feed.ts';
import { key, pagePath } from './format.ts';
import { contextFor, type RenderContext } from './fragments.ts';
import { renderHostPage } from './host-page.ts';
import { fragmentsOf, type PipelineFragments } from './pipeline-fragments.ts';
import { renderPipelinePages } from './pipeline-page.ts';
import { renderRunPage } from './run-page.ts';
import { renderStatusJson } from './status-json.ts';
import { summarizeRun } from './summary.ts';
import { logKey, type PipelineModel, type ReportInput, type ReportModel, type RunDetail } from './types.ts';

export { contextFor, reportHostNames } from './fragments.ts';

/**
 * Files every change rewrites: the dashboard, the feed, status.json and the static files. `parts`:
 * every pipeline's pieces of them (an update passes those it kept; rendered here without).
 */
export function renderSharedFiles(model: ReportModel, ctx: RenderContext, parts: ReadonlyMap<string, PipelineFragments> = fragmentsOf(model, ctx).all): Map<string, string> {
  return new Map([
    [key(pagePath.index()), renderDashboard(model, ctx, parts)],
    [key(pagePath.feed()), renderFeed(model, ctx)],
    [key(pagePath.status()), renderStatusJson(model, ctx, parts)],
    [key(pagePath.css()), APP_CSS],
    [key(pagePath.js()), APP_JS],
    [key(pagePath.favicon()), FAVICON_SVG],
  ]);
}

/** One pipeline's history pages and badges. */
export function renderPipelineFiles(p: PipelineModel, ctx: RenderContext): Map<string, string> {
  const files = renderPipelinePages(p, ctx);
  files.set(key(pagePath.pipelineBadge(p.name)), pipelineBadge(p, ctx));
  for (const e of p.environments) files.set(key(pagePath.envBadge(p.name, e.name)), environmentBadge(p, e.name, ctx));
  // The deploy branch's badge is the pipeline's own (badges/NAME.svg).
  for (const b of otherRunBranches(p)) files.set(key(pagePath.branchBadge(p.name, b)), branchBadge(p, b, `${p.name} ${b}`, ctx));
  return files;
}

/** Host pages: all of them, or only those named. */
export function renderHostFiles(model: ReportModel, ctx: RenderContext, only?: ReadonlySet<string>): Map<string, string> {
  const files = new Map<string, string>();
  for (const host of ctx.hostNames) {
    if (only !== undefined && !only.has(host)) continue;
    files.set(key(pagePath.host(host)), renderHostPage(host, ctx.hosts.get(host), model, ctx));
  }
  return files;
}

export function renderRunFile(detail: RunDetail, ctx: RenderContext): [string, string] {
  return [key(pagePath.run(detail.run.pipeline, detail.run.number)), renderRunPage(detail, ctx)];
}

/** The hosts whose pages show something of this pipeline (its environments, its deploys). */
export function hostsOfPipeline(p: PipelineModel, ctx: RenderContext): Set<string> {
  const hosts = new Set<string>(p.environments.flatMap((e) => e.hosts));
  for (const h of ctx.hostNames) if (ctx.hosts.get(h)?.pipelines[p.name] !== undefined) hosts.add(h);
  return hosts;
}

export function modelOf(input: ReportInput): ReportModel {
  return {
    title: input.title,
    generatedAt: input.generatedAt,
    secrets: input.secrets,
    hosts: input.hosts,
    pipelines: input.pipelines.map(({ runs, ...p }) => ({ ...p, runs: runs.map(summarizeRun) })),
  };
}

export function detailsOf(input: ReportInput): RunDetail[] {
  return input.pipelines.flatMap((p) =>
    p.runs.map((run) => {
      const logs = new Map();
      for (const stage of run.stages) {
        for (const step of stage.steps) {
          const log = input.logs.get(logKey(p.name, run.number, step.id));
          if (log !== undefined) logs.set(step.id, log);
        }
      }
      return { run, logs };
    }),
  );
}

/** Every file of the report from an everything-loaded input: path relative to www → content. */
export function renderReport(input: ReportInput): Map<string, string> {
  const model = modelOf(input);
  const ctx = contextFor(model);
  const files = renderSharedFiles(model, ctx);
  for (const p of model.pipelines) for (const [k, v] of renderPipelineFiles(p, ctx)) files.set(k, v);
  for (const [k, v] of renderHostFiles(model, ctx)) files.set(k, v);
  for (const detail of detailsOf(input)) {
    const [k, v] = renderRunFile(detail, ctx);
    files.set(k, v);
  }
  return files;
}
