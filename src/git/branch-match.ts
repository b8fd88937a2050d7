// `branches:` globs: `*` matches within one path segment (feature/* is feature/x, not
// feature/x/y), `**` across segments, `?` one character; anything else is literal. Pure.

function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

export function matchesBranch(branch: string, globs: readonly string[]): boolean {
  return globs.some((g) => globToRegExp(g).test(branch));
}

/** The branches to test besides the deploy branch, sorted, from the remote's branch names. */
export function otherBranches(remote: readonly string[], globs: readonly string[], deployBranch: string): string[] {
  return remote.filter((b) => b !== deployBranch && matchesBranch(b, globs)).sort();
}
