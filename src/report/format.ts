// Small text helpers for the report. Everything that came from a repo or a host (messages,
// authors, branches, logs, errors) is untrusted: it goes through text(), which masks secrets and
// then escapes, and nowhere else reaches the HTML.

export function escapeHtml(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Replaces every occurrence of every secret with ***, longest first so overlaps mask whole. */
export function maskSecrets(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const secret of [...secrets].filter((x) => x !== '').sort((a, b) => b.length - a.length)) {
    out = out.replaceAll(secret, '***');
  }
  return out;
}

/** A masked, escaped piece of text, bound to one report's secrets. */
export type Text = (s: string | number | undefined) => string;

export function textFor(secrets: readonly string[]): Text {
  return (s) => (s === undefined ? '' : escapeHtml(maskSecrets(String(s), secrets)));
}

/** Userinfo in a repo URL is a credential more often than not: never show it. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

export function shortId(commit: string | undefined): string {
  return commit === undefined ? '' : commit.slice(0, 7);
}

export function firstLine(message: string): string {
  return message.split('\n', 1)[0]?.trim() ?? '';
}

// Colour codes from test tools are noise in a page; lone CRs come from progress bars.
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

export function cleanLog(s: string): string {
  return s.replace(ANSI, '').replace(/\r\n?/g, '\n').replace(CONTROL, '');
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

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}

export function relativeAge(then: Date, now: Date): string {
  const s = Math.round((now.getTime() - then.getTime()) / 1000);
  if (Number.isNaN(s)) return '';
  if (s < 0) return 'in the future';
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return plural(m, 'minute');
  const h = Math.round(m / 60);
  if (h < 36) return plural(h, 'hour');
  const d = Math.round(h / 24);
  if (d < 60) return plural(d, 'day');
  return then.toISOString().slice(0, 10);
}

/** A relative age for people, with the exact ISO time in datetime and as a tooltip. */
export function timeTag(iso: string | undefined, now: Date, text: Text): string {
  if (iso === undefined) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return text(iso);
  const exact = date.toISOString();
  return `<time datetime="${exact}" title="${exact}">${text(relativeAge(date, now))}</time>`;
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

/** Report-relative paths of each kind of page, as segments (for href) and as file keys. */
export const pagePath = {
  index: (): string[] => ['index.html'],
  pipeline: (name: string): string[] => ['pipelines', `${fileSegment(name)}.html`],
  run: (name: string, n: number): string[] => ['runs', fileSegment(name), `${n}.html`],
  host: (host: string): string[] => ['hosts', `${fileSegment(host)}.html`],
};
