// Times as people read them in a terminal: "2025-01-01 12:00 UTC (3 hours ago)". The state keeps
// exact ISO instants; --json prints those.

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago"; undefined past 60 days. */
export function ago(ms: number): string | undefined {
  const s = Math.round(ms / 1000);
  if (s < 0) return 'in the future';
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const h = Math.round(m / 60);
  if (h < 36) return `${h} hour${h === 1 ? '' : 's'} ago`;
  const d = Math.round(h / 24);
  if (d < 60) return `${d} day${d === 1 ? '' : 's'} ago`;
  return undefined;
}

export function humanTime(iso: string | undefined, now: Date): string {
  if (iso === undefined) return '-';
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const abs = `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const rel = ago(now.getTime() - t.getTime());
  return rel === undefined ? abs : `${abs} (${rel})`;
}
