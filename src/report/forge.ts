// A link from a commit to its page on the forge that hosts the repo, when the repo URL says which
// forge that is. Only well-known shapes: a wrong guess would be a broken link on every run page.
// Credentials in the URL never reach the link (it is rebuilt from host and path only).

export type Forge = 'github' | 'gitlab' | 'gitea' | 'bitbucket';

interface RepoLocation {
  host: string;
  path: string;
}

function locate(repo: string): RepoLocation | undefined {
  // scp-like ssh: git@github.com:owner/repo.git
  const scp = /^[^@/:\s]+@([^:/\s]+):(?!\/)(.+)$/.exec(repo);
  if (scp !== null) return { host: scp[1]!.toLowerCase(), path: scp[2]! };
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return undefined;
  }
  if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol)) return undefined;
  return { host: url.hostname.toLowerCase(), path: decodeURIComponent(url.pathname) };
}

export function forgeOf(host: string): Forge | undefined {
  if (host === 'github.com' || host.startsWith('github.')) return 'github';
  if (host === 'gitlab.com' || host.startsWith('gitlab.')) return 'gitlab';
  if (host === 'bitbucket.org') return 'bitbucket';
  if (host === 'codeberg.org' || host === 'gitea.com' || host.startsWith('gitea.') || host.startsWith('forgejo.')) return 'gitea';
  return undefined;
}

/** The https URL of a commit's page, or undefined when the repo is on no known forge. */
export function commitUrl(repo: string, commit: string): string | undefined {
  if (!/^[0-9a-f]{7,64}$/i.test(commit)) return undefined;
  const loc = locate(repo.trim());
  if (loc === undefined) return undefined;
  const forge = forgeOf(loc.host);
  if (forge === undefined) return undefined;
  const segments = loc.path.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '').split('/').filter((s) => s !== '');
  // owner/repo at least; GitLab allows nested groups, the others exactly two.
  if (segments.length < 2 || (forge !== 'gitlab' && segments.length !== 2)) return undefined;
  if (segments.some((s) => s === '.' || s === '..')) return undefined;
  const base = `https://${loc.host}/${segments.map(encodeURIComponent).join('/')}`;
  switch (forge) {
    case 'github':
    case 'gitea':
      return `${base}/commit/${commit}`;
    case 'gitlab':
      return `${base}/-/commit/${commit}`;
    case 'bitbucket':
      return `${base}/commits/${commit}`;
  }
}
