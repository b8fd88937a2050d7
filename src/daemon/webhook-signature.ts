// Webhook authentication, for the three forges people run next to slipway. GitHub and Gitea sign
// the raw body with HMAC-SHA256 of the shared secret (GitHub as "sha256=<hex>" in
// X-Hub-Signature-256, Gitea as bare hex in X-Gitea-Signature); GitLab sends the secret itself in
// X-Gitlab-Token. Every comparison is constant-time, over digests of equal length, so neither the
// secret nor a valid signature can be guessed byte by byte from response times.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type Forge = 'github' | 'gitea' | 'gitlab';

export function verifyWebhook(headers: Record<string, string | string[] | undefined>, body: Buffer, secret: string): Forge | undefined {
  const header = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const hmac = createHmac('sha256', secret).update(body).digest('hex');
  const github = header('x-hub-signature-256');
  if (github !== undefined) return sameText(github, `sha256=${hmac}`) ? 'github' : undefined;
  const gitea = header('x-gitea-signature');
  if (gitea !== undefined) return sameText(gitea.toLowerCase(), hmac) ? 'gitea' : undefined;
  const gitlab = header('x-gitlab-token');
  if (gitlab !== undefined) return sameText(gitlab, secret) ? 'gitlab' : undefined;
  return undefined;
}

/** Constant-time equality of two strings of any length (their SHA-256 digests are compared). */
function sameText(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db) && a === b;
}

/** The signature header a forge would send for this body (tests, and users wiring a custom hook). */
export function signWebhook(forge: Forge, body: Buffer | string, secret: string): Record<string, string> {
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  if (forge === 'github') return { 'x-hub-signature-256': `sha256=${hex}` };
  if (forge === 'gitea') return { 'x-gitea-signature': hex };
  return { 'x-gitlab-token': secret };
}
