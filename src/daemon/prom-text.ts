// The Prometheus text exposition format (version 0.0.4), written by us: a few counters, gauges and
// histograms do not justify prom-client (its registry and default collectors cost the daemon's
// idle memory more than this file does). Checked by Debian's `promtool check metrics` in tests.

export type Labels = Record<string, string>;

/** Label values escape backslash, double quote and newline (the format's only escapes). */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',')}}`;
}

function num(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return Number.isNaN(v) ? 'NaN' : String(v);
}

const keyOf = (labels: Labels): string => labelText(labels);

/** A counter or gauge family: one value per label set. */
export class Family {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string, readonly type: 'counter' | 'gauge') {}

  inc(labels: Labels = {}, by = 1): void {
    const k = keyOf(labels);
    const cur = this.values.get(k);
    if (cur) cur.value += by;
    else this.values.set(k, { labels, value: by });
  }

  set(labels: Labels, value: number): void {
    this.values.set(keyOf(labels), { labels, value });
  }

  clear(): void {
    this.values.clear();
  }

  write(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`);
    for (const { labels, value } of this.values.values()) out.push(`${this.name}${labelText(labels)} ${num(value)}`);
  }
}

/** A histogram family with fixed bucket bounds (seconds). */
export class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly bounds: readonly number[]) {}

  observe(labels: Labels, value: number): void {
    const k = keyOf(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels, counts: this.bounds.map(() => 0), sum: 0, count: 0 }));
    for (const [i, b] of this.bounds.entries()) if (value <= b) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  write(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const s of this.series.values()) {
      for (const [i, b] of this.bounds.entries()) out.push(`${this.name}_bucket${labelText({ ...s.labels, le: num(b) })} ${s.counts[i]}`);
      out.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${num(s.sum)}`, `${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
  }
}
