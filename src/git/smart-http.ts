// Smart-HTTP requests (git's own protocol, no library): isomorphic-git's fetch collected the whole
// pack in one Buffer and indexed it in memory (about 5x the pack in RSS: 546 MB for a 96 MB pack)
// and its import alone cost ~19 MB of a daemon's RSS. Here a response is a stream the caller
// reads pkt-line by pkt-line (a pack goes straight to disk).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { RemoteSpec } from './remote.ts';

/** A socket that stays silent this long is a dead remote, not a slow one. */
export const IDLE_TIMEOUT_MS = 60_000;

// Keep-alive agents: a poller asks the same hosts again and again, and reusing the connection
// skips the TCP (and TLS) handshake. Idle sockets do not keep the process alive.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 8, timeout: IDLE_TIMEOUT_MS }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 8, timeout: IDLE_TIMEOUT_MS }),
};

function httpAgent(protocol: string): HttpAgent {
  return protocol === 'https:' ? agents['https:'] : agents['http:'];
}

/**
 * Auth goes out with the first request: asking anonymously first, taking the 401 and asking
 * again would waste a round trip per poll, and a retry has no natural stop for a wrong token.
 */
export function authHeaders(remote: RemoteSpec): Record<string, string> {
  if (!remote.auth) return {};
  const basic = Buffer.from(`${remote.auth.username}:${remote.auth.token}`).toString('base64');
  return { Authorization: `Basic ${basic}` };
}

/** An HTTP status from the remote (code 'HttpError'): toGitError turns it into a sentence. */
export class HttpStatusError extends Error {
  readonly code = 'HttpError';
  readonly data: { statusCode: number; statusMessage: string };
  constructor(statusCode: number, statusMessage: string) {
    super(`HTTP Error: ${statusCode} ${statusMessage}`);
    this.data = { statusCode, statusMessage };
  }
}

const MAX_REDIRECTS = 5;

/**
 * One request to the repository at remote.url (`path` appended). Resolves with the response once
 * its status is 2xx; any other status is an HttpStatusError. Credentials in the URL become a
 * Basic header (the URL itself never goes into a message unmasked: see maskUrl).
 */
export async function smartRequest(opts: {
  remote: RemoteSpec;
  path: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer;
}): Promise<IncomingMessage> {
  const base = new URL(opts.remote.url);
  const headers: Record<string, string> = { 'User-Agent': 'git/slipway', ...authHeaders(opts.remote), ...opts.headers };
  if (base.username !== '' || base.password !== '') {
    const user = decodeURIComponent(base.username);
    const pass = decodeURIComponent(base.password);
    headers.Authorization ??= `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    base.username = '';
    base.password = '';
  }
  let url = new URL(base.toString().replace(/\/+$/, '') + opts.path);
  for (let hop = 0; ; hop++) {
    const res = await send(url, opts.method, headers, opts.body);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location && hop < MAX_REDIRECTS) {
      res.resume();
      const next = new URL(location, url);
      // A redirect to another host must not carry the token along.
      if (next.host !== url.host) delete headers.Authorization;
      url = next;
      continue;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      throw new HttpStatusError(status, res.statusMessage ?? '');
    }
    return res;
  }
}

function send(url: URL, method: string, headers: Record<string, string>, body?: Buffer): Promise<IncomingMessage> {
  const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(url, {
      method,
      headers: body ? { ...headers, 'Content-Length': String(body.length) } : headers,
      agent: httpAgent(url.protocol),
    });
    // A remote silent for this long is a dead one.
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error('Request timed out')));
    req.on('error', reject);
    req.on('response', (res) => {
      res.on('error', () => {});
      resolve(res);
    });
    req.end(body);
  });
}

/** pkt-line framing: four hex digits of length (themselves included), then the payload. */
export function pktLine(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0'), 'latin1'), payload]);
}

export const FLUSH = Buffer.from('0000', 'latin1');
export const DELIM = Buffer.from('0001', 'latin1');

/** Yields each pkt-line's payload (null for a flush, delim or response-end packet). */
export async function* readPktLines(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer | null> {
  let buf: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    let pos = 0;
    while (buf.length - pos >= 4) {
      const len = Number.parseInt(buf.toString('latin1', pos, pos + 4), 16);
      if (Number.isNaN(len) || (len > 0 && len < 4)) {
        if (len >= 1 && len <= 2) {
          pos += 4;
          yield null;
          continue;
        }
        throw new Error('the remote sent a malformed pkt-line');
      }
      if (len === 0) {
        pos += 4;
        yield null;
        continue;
      }
      if (buf.length - pos < len) break;
      yield buf.subarray(pos + 4, pos + len);
      pos += len;
    }
    buf = buf.subarray(pos);
  }
  if (buf.length > 0) throw new Error('the remote closed the connection in the middle of a pkt-line');
}
