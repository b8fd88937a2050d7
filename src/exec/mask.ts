// Secret masking. Every value that came from ${env:..} or ${file:..} is replaced by *** before
// any text reaches a log, a page, a state file or a terminal.
//
// What is looked for (maskForms), decided once for every writer:
// - the value itself, and each line of a multi-line value (a PEM printed line by line, or one
//   line of it, is still the key);
// - its JSON-escaped form (a value with quotes or newlines inside a JSON document or a message);
// - its URL-encoded form (encodeURIComponent: a token in a query string or userinfo);
// - its base64 form (`echo -n "$TOKEN" | base64`, an Authorization: Basic header of the value).
// Not caught: any other transformation (hex, reversed, split over two writes of different
// streams, base64 of the value embedded at an odd offset inside a longer base64 text). A test
// command that wants to leak a value it can read will manage; masking stops accidents.

import { StringDecoder } from 'node:string_decoder';

export const MASK = '***';

// One- and two-character "secrets" would mask ordinary text everywhere (every "a" of a log):
// they are not masked at all. No real token is that short.
const MIN_SECRET = 3;
// A line of a multi-line secret is masked on its own only when it is long enough to be secret
// material rather than "}" or an empty line.
const MIN_LINE = 8;

const formsCache = new WeakMap<readonly string[], string[]>();

/** Every text to replace by ***, longest first (a secret containing another is masked whole). */
export function maskForms(secrets: readonly string[]): string[] {
  const cached = formsCache.get(secrets);
  if (cached) return cached;
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    try {
      forms.add(encodeURIComponent(secret));
    } catch {
      // A lone surrogate cannot be URL-encoded: there is no such form to find.
    }
    forms.add(Buffer.from(secret, 'utf8').toString('base64'));
    forms.add(Buffer.from(secret, 'utf8').toString('base64').replace(/=+$/, ''));
    if (/[\r\n]/.test(secret)) {
      for (const line of secret.split(/\r?\n/)) if (line.trim().length >= MIN_LINE) forms.add(line.trim());
    }
  }
  const sorted = [...forms].filter((f) => f.length >= MIN_SECRET).sort((a, b) => b.length - a.length);
  formsCache.set(secrets, sorted);
  return sorted;
}

export function maskSecrets(text: string, secrets: readonly string[]): string {
  return maskUpTo(text, maskForms(secrets), text.length).out;
}

/**
 * Masks text[0, cut) and returns how far it got: past `cut` when a secret starts before `cut`
 * and ends after it (it is masked whole, so the caller must hold back enough text that every
 * such secret is complete: the longest form's length minus one).
 */
function maskUpTo(text: string, forms: readonly string[], cut: number): { out: string; consumed: number } {
  let out = '';
  let i = 0;
  while (i < cut) {
    let best = -1;
    let bestLength = 0;
    for (const form of forms) {
      const at = text.indexOf(form, i);
      if (at !== -1 && (best === -1 || at < best)) {
        best = at;
        bestLength = form.length;
      }
    }
    if (best === -1 || best >= cut) {
      out += text.slice(i, cut);
      return { out, consumed: cut };
    }
    out += text.slice(i, best) + MASK;
    i = best + bestLength;
  }
  return { out, consumed: i };
}

type StreamName = string;

/**
 * Masks a stream of output chunks as they arrive. Each stream (stdout, stderr, slipway's own
 * lines) has its own UTF-8 decoder, so a character split across two SSH packets is decoded
 * whole, and its own pending text, so a secret written in pieces to one stream is found even
 * when the other stream wrote in between. Of each stream the last (longest secret form - 1)
 * characters are held back until more output or the end shows they cannot start a secret:
 * a value split across chunks or lines is masked, and memory stays bounded by that length.
 */
export class StreamMasker {
  private readonly forms: string[];
  private readonly hold: number;
  private readonly streams = new Map<StreamName, { decoder: StringDecoder; pending: string }>();

  constructor(
    secrets: readonly string[],
    private readonly emit: (text: string) => void,
  ) {
    this.forms = maskForms(secrets);
    this.hold = Math.max(0, (this.forms[0]?.length ?? 0) - 1);
  }

  /** A command's output: held back per stream as above. */
  write(chunk: string | Buffer, stream: StreamName = 'output'): void {
    const state = this.state(stream);
    state.pending += typeof chunk === 'string' ? chunk : state.decoder.write(chunk);
    this.release(state, false);
  }

  /**
   * slipway's own text (a command line, a failure's reason), whole messages written between
   * commands: what the streams still hold goes first, so the log keeps its order.
   */
  message(text: string): void {
    this.drain(false);
    this.emit(maskUpTo(text, this.forms, text.length).out);
  }

  /** Everything still held, of every stream (at the end of a step). */
  flush(): void {
    this.drain(true);
  }

  private drain(end: boolean): void {
    for (const state of this.streams.values()) {
      if (end) state.pending += state.decoder.end();
      this.release(state, true);
    }
  }

  private state(stream: StreamName): { decoder: StringDecoder; pending: string } {
    let state = this.streams.get(stream);
    if (!state) {
      state = { decoder: new StringDecoder('utf8'), pending: '' };
      this.streams.set(stream, state);
    }
    return state;
  }

  private release(state: { pending: string }, all: boolean): void {
    const text = state.pending;
    let cut = all ? text.length : text.length - this.hold;
    if (cut <= 0) return;
    // Never cut between the two halves of a surrogate pair: a lone half is written as U+FFFD.
    const before = text.charCodeAt(cut - 1);
    if (!all && before >= 0xd800 && before <= 0xdbff) cut--;
    if (cut <= 0) return;
    const { out, consumed } = maskUpTo(text, this.forms, cut);
    state.pending = text.slice(consumed);
    if (out) this.emit(out);
  }
}

/** The former name of StreamMasker (it was line-buffered): same constructor and methods. */
export { StreamMasker as MaskingLineBuffer };
