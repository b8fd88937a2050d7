// Durations in config files are strings with units ("30s", "10m", "1h30m", "500ms"). A bare number
// is refused on purpose: "timeout: 30" could mean seconds or milliseconds, and guessing wrong turns a
// 30-second bound into a 30-millisecond one.

/** The JSON Schema pattern of a duration; the error mapper recognises it by identity. */
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d))+$';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!new RegExp(DURATION_PATTERN).test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/([0-9]+)(ms|s|m|h|d)/g)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
  }
  return total;
}

/** A duration as the config would spell it ("30s", "10m", "1h", "250ms"), for messages. */
export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
