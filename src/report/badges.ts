// Shields-style SVG badges: badges/NAME.svg (the last finished run) and badges/NAME/ENV.svg (what
// the environment runs: green, amber when its newest deploy failed and was rolled back so it runs
// its previous commit, red when it runs nothing after a failed deploy). For a README or a wiki page.

import { shortId } from './format.ts';
import type { RenderContext } from './fragments.ts';
import { lastEnded, SUCCESS } from './summary.ts';
import type { PipelineModel } from './types.ts';
import { isChosenRollback } from './health.ts';

const GREEN = '#4c1';
const RED = '#e05d44';
const GREY = '#9f9f9f';
const BLUE = '#007ec6';
const AMBER = '#dfb317';

/** Verdana 11px averages about 6.5 px a character; wide glyphs count double. */
function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\uffff]/.test(ch) ? 11 : /[mwMW@]/.test(ch) ? 9 : /[il.,:;|'!]/.test(ch) ? 3.5 : 6.5;
  return Math.round(w);
}

export function badgeSvg(label: string, value: string, colour: string, text: (s: string) => string): string {
  const l = text(label);
  const v = text(value);
  const lw = textWidth(label) + 10;
  const vw = textWidth(value) + 10;
  const w = lw + vw;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${l}: ${v}">
<title>${l}: ${v}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${vw}" height="20" fill="${colour}"/><rect width="${w}" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="${lw / 2}" y="15" fill="#010101" fill-opacity=".3">${l}</text><text x="${lw / 2}" y="14">${l}</text>
<text x="${lw + vw / 2}" y="15" fill="#010101" fill-opacity=".3">${v}</text><text x="${lw + vw / 2}" y="14">${v}</text>
</g>
</svg>
`;
}

/** The runs of one branch; summaries without a branch are of the deploy branch. */
export function runsOfBranch(p: PipelineModel, branch: string): PipelineModel['runs'] {
  return p.runs.filter((r) => (r.branch ?? p.branch) === branch);
}

/**
 * Branches other than the deploy branch that have runs and are still watched (a branch deleted on
 * the remote leaves the pipeline state, and with it status.json and its badge), sorted; each gets
 * badges/NAME/branches/BRANCH.svg. Its runs stay in the history.
 */
export function otherRunBranches(p: PipelineModel): string[] {
  const live = p.state.branches ?? {};
  return [...new Set(p.runs.map((r) => r.branch ?? p.branch))].filter((b) => b !== p.branch && Object.hasOwn(live, b)).sort();
}

/** The deploy branch's verdict: a red feature branch does not turn the pipeline's badge red. */
export function pipelineBadge(p: PipelineModel, ctx: RenderContext): string {
  return branchBadge(p, p.branch, p.name, ctx);
}

export function branchBadge(p: PipelineModel, branch: string, label: string, ctx: RenderContext): string {
  const runs = runsOfBranch(p, branch);
  const run = lastEnded(runs);
  if (run === undefined) {
    const going = runs[0];
    return badgeSvg(label, going === undefined ? 'no runs' : going.status, going === undefined ? GREY : BLUE, ctx.text);
  }
  return SUCCESS.has(run.status) ? badgeSvg(label, 'passing', GREEN, ctx.text) : badgeSvg(label, 'failing', RED, ctx.text);
}

export function environmentBadge(p: PipelineModel, env: string, ctx: RenderContext): string {
  const state = p.state.environments[env];
  const label = `${p.name} ${env}`;
  const attempt = p.runs.find((r) => r.deploys.some((d) => d.environment === env && d.status !== 'pending' && d.status !== 'untouched'));
  const chosen = attempt !== undefined && isChosenRollback(attempt, env);
  const failed = !chosen && attempt?.deploys.some((d) => d.environment === env && (d.status === 'failed' || d.status === 'rolled-back')) === true;
  if (state === undefined) return badgeSvg(label, failed ? 'deploy failed' : 'not deployed', failed ? RED : GREY, ctx.text);
  // It still runs its recorded commit healthy (the failed deploy was rolled back): amber, not red.
  return badgeSvg(label, failed ? `${shortId(state.commit)}, last deploy rolled back` : shortId(state.commit), failed ? AMBER : GREEN, ctx.text);
}
