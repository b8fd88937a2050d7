// A repo URL with credentials in it (https://user:token@host/app.git) would put the token on
// every command line that names the repo: the host's `git fetch URL` in pull mode is visible to
// every user of that host (ps). The userinfo is split off here and travels like auth.token
// (an HTTP header, on stdin to the host); the URL slipway uses everywhere has none.

export interface SplitUrl {
  url: string;
  /** From the userinfo: user:password, or a lone user (GitHub style: the token as user name). */
  auth?: { username: string; token: string };
}

export function splitRepoUrl(url: string): SplitUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (parsed.username === '' && parsed.password === '') return { url };
  const username = safeDecode(parsed.username);
  const password = safeDecode(parsed.password);
  parsed.username = '';
  parsed.password = '';
  // A lone user is the token itself (https://TOKEN@github.com/...); git sends it with an empty password.
  return { url: parsed.toString(), auth: password === '' ? { username, token: '' } : { username, token: password } };
}

/** The credential values of a URL's userinfo, for masking. */
export function userinfoSecrets(url: string): string[] {
  const { auth } = splitRepoUrl(url);
  if (!auth) return [];
  return auth.token === '' ? [auth.username] : [auth.token];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
