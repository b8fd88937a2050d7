// Secret masking. Every value that came from ${env:..} or ${file:..} is replaced by *** before
// any text reaches a log, a page or a state file. Longest secrets first, so a secret that
// contains another is masked whole.

export const MASK = '***';

export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of sortedSecrets(secrets)) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  return out;
}

function sortedSecrets(secrets: readonly string[]): string[] {
  // One- and two-character "secrets" would mask ordinary text everywhere (every "a" of a log):
  // they are not masked at all. No real token is that short.
  return [...new Set(secrets)].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
}

/**
 * A line-buffered masking stream: a secret split across two output chunks is still masked,
 * because text is only released at line ends (or on flush).
 */
export class MaskingLineBuffer {
  private pending = '';
  constructor(
    private readonly secrets: readonly string[],
    private readonly emit: (text: string) => void,
  ) {}

  write(chunk: string): void {
    this.pending += chunk;
    const cut = this.pending.lastIndexOf('\n');
    // Long lines without a newline are released anyway so memory stays bounded; a secret
    // straddling that cut is the price (64 KiB lines of output are rare).
    if (cut === -1 && this.pending.length < 65536) return;
    const upto = cut === -1 ? this.pending.length : cut + 1;
    this.emit(maskSecrets(this.pending.slice(0, upto), this.secrets));
    this.pending = this.pending.slice(upto);
  }

  flush(): void {
    if (this.pending) this.emit(maskSecrets(this.pending, this.secrets));
    this.pending = '';
  }
}
