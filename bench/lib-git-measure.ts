// Small timing helpers for the git benchmarks: both sides measured in one run, medians reported.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface BenchRow {
  name: string;
  slipway: number;
  native: number;
  ratio: number;
  unit: string;
  note?: string;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export async function runCmd(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string }> {
  return execFileP(cmd, args, { maxBuffer: 64 * 1024 * 1024, ...opts });
}

export function row(name: string, slipway: number, native: number, unit: string, note?: string): BenchRow {
  const r: BenchRow = { name, slipway: round(slipway), native: round(native), ratio: round(slipway / native, 2), unit };
  if (note !== undefined) r.note = note;
  return r;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function formatTable(rows: BenchRow[]): string {
  const header = ['benchmark', 'slipway', 'native', 'ratio', 'unit', 'note'];
  const lines = rows.map((r) => [r.name, String(r.slipway), String(r.native), `${r.ratio}x`, r.unit, r.note ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}
