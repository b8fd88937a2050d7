// hosts/HOST.html: per pipeline, what the host runs now, what it ran before, and the releases on it.

import type { HostRelease, HostState } from '../state/types.ts';
import { pagePath, shortId, timeTag } from './format.ts';
import { link, linkIfPage, type RenderContext } from './fragments.ts';
import { renderPage, table } from './layout.ts';
import type { ReportInput } from './types.ts';

const DEPTH = 1;

function releaseCells(pipeline: string, r: HostRelease | undefined, ctx: RenderContext): string[] {
  const { text } = ctx;
  if (r === undefined) return ['<span class="muted">none</span>', '', '', ''];
  return [
    `<span class="mono">${text(r.release)}</span>`,
    `<code>${text(shortId(r.commit))}</code>`,
    timeTag(r.deployedAt, ctx.now, text),
    r.run > 0 ? linkIfPage(DEPTH, pagePath.run(pipeline, r.run), `#${r.run}`, ctx) : '',
  ];
}

export function renderHostPage(host: string, state: HostState | undefined, input: ReportInput, ctx: RenderContext): string {
  const { text } = ctx;
  const roles = input.pipelines.flatMap((p) =>
    p.environments.filter((e) => e.hosts.includes(host)).map((e) => `${link(DEPTH, pagePath.pipeline(p.name), text(p.name))} ${text(e.name)}`),
  );
  const parts = [roles.length === 0 ? '<p class="muted">In no configured environment.</p>' : `<p>Serves: ${roles.join(' · ')}</p>`];
  const pipelines = Object.entries(state?.pipelines ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (pipelines.length === 0) parts.push('<p class="muted">Nothing deployed here yet.</p>');
  for (const [name, p] of pipelines) {
    const rows = [
      ['Current', ...releaseCells(name, p.current, ctx)],
      ['Previous', ...releaseCells(name, p.previous, ctx)],
    ];
    const releases = p.releases
      .slice()
      .reverse()
      .map((r) => `<li><span class="mono">${text(r)}</span>${r === p.current?.release ? ' <strong>(current)</strong>' : ''}</li>`);
    parts.push(`<section class="card">
<h2>${linkIfPage(DEPTH, pagePath.pipeline(name), text(name), ctx)}</h2>
${table(['', 'Release', 'Commit', 'Deployed', 'Run'], rows)}
<h3>Releases on the host <span class="muted">(newest first)</span></h3>
${releases.length === 0 ? '<p class="muted">none recorded</p>' : `<ul>${releases.join('')}</ul>`}
</section>`);
  }
  const heading = `host ${text(host)}`;
  return renderPage({ title: ctx.title, heading, crumbs: ` / ${text(host)}`, depth: DEPTH, body: parts.join('\n'), generatedAt: ctx.now });
}
