// Talking to a remote over smart HTTP (the transport slipway speaks, see smart-http.ts), and turning
// its failures into GitErrors a person can act on. No message ever carries a token.
import { GitError } from '../errors.ts';
import { listRemoteRefs } from './remote-refs.ts';
import { IDLE_TIMEOUT_MS } from './smart-http.ts';

export { authHeaders } from './smart-http.ts';

export interface RemoteSpec {
  url: string;
  branch: string;
  auth?: { username: string; token: string };
}

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

export function checkRemoteUrl(remote: RemoteSpec): void {
  if (!/^https?:\/\//i.test(remote.url)) {
    throw new GitError(`unsupported remote ${maskUrl(remote.url)}: slipway fetches over http(s) only`);
  }
}

/** The sha of refs/heads/<branch> on the remote, without fetching anything. */
export async function readRemoteHead(remote: RemoteSpec): Promise<string> {
  checkRemoteUrl(remote);
  const ref = `refs/heads/${remote.branch}`;
  let refs: Map<string, string>;
  try {
    // Protocol v2 filters by prefix on the server: a repo with thousands of refs (pull-request
    // refs, tags) costs the same as one with a single branch.
    refs = await listRemoteRefs(remote, ref);
  } catch (err) {
    throw toGitError(err, remote);
  }
  const hit = refs.get(ref);
  if (!hit) throw new GitError(`branch "${remote.branch}" not found in ${maskUrl(remote.url)}`);
  return hit;
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
