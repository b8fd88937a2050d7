// feed.xml: an Atom feed of failures and deploys, newest first, for a feed reader or a chat bot.
// Links are relative to the feed (they resolve wherever the report is served from).

import { createHash } from 'node:crypto';
import { escapeHtml, href, pagePath, shortId } from './format.ts';
import type { RenderContext } from './fragments.ts';
import type { ReportModel, RunSummary } from './types.ts';

export const FEED_ENTRIES = 50;

// XML 1.0 forbids these even escaped; a commit message may carry them.
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g;

function when(r: RunSummary): string {
  return r.finishedAt ?? r.startedAt ?? r.createdAt;
}

function entry(r: RunSummary, ctx: RenderContext): string {
  const x = (s: string): string => ctx.text(s.replace(NOT_XML, ''));
  const verb = r.status === 'deployed' ? 'deployed' : 'failed';
  const envs = [...new Set(r.deploys.filter((d) => d.status === 'deployed').map((d) => d.environment))];
  const where = r.status === 'deployed' && envs.length > 0 ? ` to ${envs.join(', ')}` : '';
  const title = `${r.pipeline} #${r.number} ${verb}${where}: ${r.subject}`;
  const summary = `${shortId(r.commit)} by ${r.author}${r.error === undefined ? '' : ` — ${r.error}`}`;
  const id = `urn:slipway:run:${encodeURIComponent(r.pipeline)}:${r.number}:${verb}`;
  return `<entry>
<title>${x(title)}</title>
<id>${escapeHtml(id)}</id>
<updated>${new Date(when(r)).toISOString()}</updated>
<link rel="alternate" type="text/html" href="${escapeHtml(href(0, ...pagePath.run(r.pipeline, r.number)))}"/>
<author><name>${x(r.author === '' ? 'unknown' : r.author)}</name></author>
<category term="${verb}"/>
<summary>${x(summary)}</summary>
</entry>`;
}

export function renderFeed(model: ReportModel, ctx: RenderContext): string {
  // Each pipeline's runs are newest first: take its first FEED_ENTRIES that count, then merge.
  const picked: Array<{ run: RunSummary; t: number }> = [];
  for (const p of model.pipelines) {
    let taken = 0;
    for (const r of p.runs) {
      if (taken >= FEED_ENTRIES) break;
      if (r.status !== 'failed' && r.status !== 'deployed') continue;
      const t = Date.parse(when(r));
      if (Number.isNaN(t)) continue;
      picked.push({ run: r, t });
      taken++;
    }
  }
  const runs = picked
    .sort((a, b) => b.t - a.t)
    .slice(0, FEED_ENTRIES)
    .map((x) => x.run);
  // The feed's own time is its newest entry's, so an unchanged feed stays byte-identical.
  const updated = runs[0] === undefined ? model.generatedAt.toISOString() : new Date(when(runs[0])).toISOString();
  const feedId = `urn:slipway:feed:${createHash('sha256').update(model.title).digest('hex').slice(0, 32)}`;
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>${ctx.title}: failures and deploys</title>
<id>${feedId}</id>
<updated>${updated}</updated>
<link rel="alternate" type="text/html" href="index.html"/>
<link rel="self" href="feed.xml"/>
<generator>slipway</generator>
${runs.map((r) => entry(r, ctx)).join('\n')}
</feed>
`;
}
