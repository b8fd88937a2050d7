// Talking to a remote over smart HTTP (the only transport isomorphic-git has), and turning its
// failures into GitErrors a person can act on. No message ever carries a token.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { listServerRefs } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import type { GitHttpRequest, HttpClient } from 'isomorphic-git';
import { GitError } from '../errors.ts';

export interface RemoteSpec {
  url: string;
  branch: string;
  auth?: { username: string; token: string };
}

/** A socket that stays silent this long is a dead remote, not a slow one. */
export const IDLE_TIMEOUT_MS = 60_000;

// Keep-alive agents: a poller asks the same hosts again and again, and reusing the connection
// skips the TCP (and TLS) handshake. Idle sockets do not keep the process alive.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 8, timeout: IDLE_TIMEOUT_MS }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 8, timeout: IDLE_TIMEOUT_MS }),
};

/** The shared keep-alive agent for a URL's protocol. */
export function httpAgent(protocol: string): HttpAgent {
  return protocol === 'https:' ? agents['https:'] : agents['http:'];
}

/** isomorphic-git's Node client with keep-alive and an idle timeout (it has neither by default). */
export const httpClient: HttpClient = {
  request(req: GitHttpRequest) {
    const protocol = new URL(req.url).protocol as keyof typeof agents;
    return nodeHttp.request({
      ...req,
      agent: agents[protocol],
      fetchOptions: { timeout: IDLE_TIMEOUT_MS, ...req.fetchOptions },
    });
  },
};

/** The URL as it may appear in a message: any user:password in it replaced by ***. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '***';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * Auth goes out with the first request: isomorphic-git would otherwise send every request
 * anonymously, take the 401 and ask again (a wasted round trip per poll), and its onAuth retry
 * has no natural stop for a wrong token.
 */
export function authHeaders(remote: RemoteSpec): Record<string, string> {
  if (!remote.auth) return {};
  const basic = Buffer.from(`${remote.auth.username}:${remote.auth.token}`).toString('base64');
  return { Authorization: `Basic ${basic}` };
}

export function checkRemoteUrl(remote: RemoteSpec): void {
  if (!/^https?:\/\//i.test(remote.url)) {
    throw new GitError(`unsupported remote ${maskUrl(remote.url)}: slipway fetches over http(s) only`);
  }
}

/** The sha of refs/heads/<branch> on the remote, without fetching anything. */
export async function readRemoteHead(remote: RemoteSpec): Promise<string> {
  checkRemoteUrl(remote);
  const ref = `refs/heads/${remote.branch}`;
  let refs: Array<{ ref: string; oid: string }>;
  try {
    // Protocol v2 filters by prefix on the server: a repo with thousands of refs (pull-request
    // refs, tags) costs the same as one with a single branch.
    refs = await listServerRefs({
      http: httpClient,
      url: remote.url,
      headers: authHeaders(remote),
      protocolVersion: 2,
      prefix: ref,
    });
  } catch (err) {
    throw toGitError(err, remote);
  }
  const hit = refs.find((r) => r.ref === ref);
  if (!hit) throw new GitError(`branch "${remote.branch}" not found in ${maskUrl(remote.url)}`);
  return hit.oid;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A failure of a remote operation as a GitError with a plain message (token never included). */
export function toGitError(err: unknown, remote: RemoteSpec, doing = 'cannot reach'): GitError {
  if (err instanceof GitError) return err;
  const url = maskUrl(remote.url);
  const e = err as { code?: string; message?: string; data?: { statusCode?: number; statusMessage?: string } };
  let message: string;
  if (e?.code === 'HttpError' && typeof e.data?.statusCode === 'number') {
    const status = e.data.statusCode;
    if (status === 401 || status === 403) {
      if (remote.auth) message = `authentication failed (HTTP ${status}) for ${url}; check auth.token`;
      else if (url !== remote.url) message = `authentication failed (HTTP ${status}) for ${url}; check the credentials in the URL`;
      else message = `authentication required (HTTP ${status}) for ${url}; set auth.token`;
    } else if (status === 404) {
      message = `repository not found (HTTP 404) at ${url}`;
    } else {
      message = `${url} answered HTTP ${status}${e.data.statusMessage ? ` ${e.data.statusMessage}` : ''}`;
    }
  } else if (e?.code === 'SmartHttpError') {
    message = `${url} is not a git smart-HTTP remote`;
  } else if (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) {
    message = `${doing} ${url}: ${e.code}`;
  } else if (e?.message === 'Request timed out') {
    message = `${doing} ${url}: no answer for ${IDLE_TIMEOUT_MS / 1000}s`;
  } else {
    message = `git ${url}: ${e?.message ?? String(err)}`;
  }
  return new GitError(maskSecret(message, remote), { cause: err });
}

function maskSecret(text: string, remote: RemoteSpec): string {
  let out = text;
  const secrets = [remote.auth?.token, safePassword(remote.url)].filter((s): s is string => !!s && s.length >= 3);
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

function safePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
