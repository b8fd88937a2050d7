// Small text helpers for the report. Everything that came from a repo or a host (messages,
// authors, branches, logs, errors) is untrusted: it goes through text(), which masks secrets and
// then escapes, and nowhere else reaches the HTML.

import type { RunStatus } from '../state/types.ts';
export { firstLine } from './summary.ts';

const HTML_SPECIAL = /[&<>"']/g;
const HTML_ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  // One pass, and none for the common string with nothing to escape: this runs for every
  // piece of every page (10,000 run pages in a full rewrite).
  HTML_SPECIAL.lastIndex = 0;
  return HTML_SPECIAL.test(s) ? s.replace(HTML_SPECIAL, (c) => HTML_ENTITY[c] ?? c) : s;
}

// One masking rule for logs, state and pages (secrets shorter than 3 characters are ignored there).
export { maskSecrets } from '../exec/mask.ts';

/** A masked, escaped piece of text, bound to one report's secrets. */
export type Text = (s: string | number | undefined) => string;

export function textFor(secrets: readonly string[]): Text {
  // Sorted once: text() runs for every string of every page.
  const sorted = [...secrets].filter((x) => x !== '').sort((a, b) => b.length - a.length);
  const mask = (v: string): string => {
    let out = v;
    for (const secret of sorted) out = out.replaceAll(secret, '***');
    return out;
  };
  return (s) => (s === undefined ? '' : escapeHtml(sorted.length === 0 ? String(s) : mask(String(s))));
}

// Lowercase ASCII letters, digits, '.' and '-' (most host and pipeline names) sort by localeCompare
// exactly as by their code units (test/report/format.test.ts checks): without ICU's collator,
// whose first use costs a fresh process ~30 ms, and every report update sorts the host names.
const PLAIN_NAME = /^[a-z0-9.-]*$/;

/** a.localeCompare(b), without the collator where the order is the same without it. */
export function compareNames(a: string, b: string): number {
  if (PLAIN_NAME.test(a) && PLAIN_NAME.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return a.localeCompare(b);
}

/** Userinfo in a repo URL is a credential more often than not: never show it. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

export function shortId(commit: string | undefined): string {
  return commit === undefined ? '' : commit.slice(0, 7);
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const totalS = Math.round(s);
  const m = Math.floor(totalS / 60);
  if (m < 60) return `${m} min ${totalS % 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

export function durationBetween(start: string | undefined, end: string | undefined): string {
  if (start === undefined || end === undefined) return '';
  return formatDuration(Date.parse(end) - Date.parse(start));
}

/** "2024-05-01 10:00 UTC": a page may stay unrewritten for weeks, so its visible text never says "ago". */
export function absoluteTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A time as text that stays true without JavaScript (absolute, UTC) with the exact instant in
 * datetime and title; app.js, where it may run, turns it into "5 minutes ago" and keeps it so.
 */
export function timeTag(iso: string | undefined, text: Text): string {
  if (iso === undefined) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return text(iso);
  const exact = date.toISOString();
  return `<time class="t" datetime="${exact}" title="${exact}">${absoluteTime(date)}</time>`;
}

/** Colour plus the status word: colour alone says nothing to a screen reader or a colour-blind user. */
export function statusBadge(status: string, text: Text): string {
  return `<span class="status s-${text(status)}">${text(status)}</span>`;
}

/** Quotes a word for the copyable approve command when it is not plainly safe in a shell. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9._@%+=:,/-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** An href to a report file from a page `depth` folders below the root; each segment URL-encoded. */
export function href(depth: number, ...segments: string[]): string {
  return '../'.repeat(depth) + segments.map((s) => encodeURIComponent(s)).join('/');
}

/** A name as one path segment of a report file; odd names (separators, leading dot) become hex. */
export function fileSegment(name: string): string {
  return name === '' || name.startsWith('.') || /[/\\\0]/.test(name) ? `_${Buffer.from(name).toString('hex')}` : name;
}

/** Which runs a pipeline's history page lists: all, or those with one status. */
export type RunFilter = 'all' | RunStatus;

/** Report-relative paths of each kind of file, as segments (for href); key() joins them. */
export const pagePath = {
  index: (): string[] => ['index.html'],
  /** pipelines/NAME/index.html is the first page of all runs; others are FILTER[-page-N].html. */
  pipeline: (name: string, filter: RunFilter = 'all', page = 1): string[] => {
    const base = filter === 'all' ? (page === 1 ? 'index' : 'page') : filter;
    const file = page === 1 ? `${base}.html` : filter === 'all' ? `page-${page}.html` : `${base}-page-${page}.html`;
    return ['pipelines', fileSegment(name), file];
  },
  run: (name: string, n: number): string[] => ['runs', fileSegment(name), `${n}.html`],
  host: (host: string): string[] => ['hosts', `${fileSegment(host)}.html`],
  pipelineBadge: (name: string): string[] => ['badges', `${fileSegment(name)}.svg`],
  envBadge: (name: string, env: string): string[] => ['badges', fileSegment(name), `${fileSegment(env)}.svg`],
  /** badges/NAME/branches/BRANCH.svg: a branch's last finished run ("/" in a branch name is encoded). */
  branchBadge: (name: string, branch: string): string[] => ['badges', fileSegment(name), 'branches', `${fileSegment(branch)}.svg`],
  css: (): string[] => ['app.css'],
  js: (): string[] => ['app.js'],
  favicon: (): string[] => ['favicon.svg'],
  feed: (): string[] => ['feed.xml'],
  status: (): string[] => ['status.json'],
};

export function key(segments: string[]): string {
  return segments.join('/');
}
