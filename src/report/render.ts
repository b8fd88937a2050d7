// The report as a pure function of the state: renderReport(input) → relative path → HTML.
// No clock, no disk: the same input gives the same files, which is what the tests pin.

import { renderDashboard, renderPipelinePage } from './dashboard.ts';
import { pagePath } from './format.ts';
import { contextFor } from './fragments.ts';
import { renderHostPage } from './host-page.ts';
import { renderRunPage } from './run-page.ts';
import type { ReportInput } from './types.ts';

/** Every host named by an environment or holding a state file, sorted. */
export function reportHostNames(input: ReportInput): string[] {
  const names = new Set<string>(input.hosts.map((h) => h.host));
  for (const p of input.pipelines) for (const e of p.environments) for (const h of e.hosts) names.add(h);
  return [...names].sort((a, b) => a.localeCompare(b));
}

export function renderReport(input: ReportInput): Map<string, string> {
  const ctx = contextFor(input);
  const hostNames = reportHostNames(input);
  const key = (segments: string[]): string => segments.join('/');
  // Page keys first, so pages link only to pages that exist.
  ctx.pages.add(key(pagePath.index()));
  for (const p of input.pipelines) {
    ctx.pages.add(key(pagePath.pipeline(p.name)));
    for (const r of p.runs) ctx.pages.add(key(pagePath.run(p.name, r.number)));
  }
  for (const h of hostNames) ctx.pages.add(key(pagePath.host(h)));

  const files = new Map<string, string>();
  files.set(key(pagePath.index()), renderDashboard(input, ctx, hostNames));
  for (const p of input.pipelines) {
    files.set(key(pagePath.pipeline(p.name)), renderPipelinePage(p, ctx));
    for (const run of p.runs) files.set(key(pagePath.run(p.name, run.number)), renderRunPage(run, input, ctx));
  }
  for (const host of hostNames) {
    files.set(key(pagePath.host(host)), renderHostPage(host, ctx.hosts.get(host), input, ctx));
  }
  return files;
}
