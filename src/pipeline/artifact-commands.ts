// Remote scripts of deploy.source: artifact, in the style of remote-commands.ts: pure functions
// returning a script, pinned by tests, every value quoted by src/ssh/quote.ts.
import { quoteArg } from '../ssh/quote.ts';
import { remotePath } from './remote-commands.ts';

export const ARTIFACT_MISMATCH_EXIT = 76;

/**
 * The artifact arrives on stdin and is kept as a file until its sha256 is checked: a cut or
 * altered upload is never unpacked. Then it becomes releases/<release> with REVISION and ARTIFACT
 * written by slipway (after removing any such names the artifact holds: a planted symlink there
 * would redirect the write), and there is no PATH/repo on such a host.
 */
export function artifactScript(path: string, release: string, commit: string, sha256: string): string {
  const partial = remotePath(path, 'releases', `.${release}.partial`);
  const file = remotePath(path, 'releases', `.${release}.tar.gz`);
  const final = remotePath(path, 'releases', release);
  return (
    `set -e; mkdir -p ${remotePath(path, 'releases')} ${remotePath(path, 'shared')}; rm -rf ${partial} ${file}; ` +
    `cat > ${file}; ` +
    `got=$(sha256sum ${file} | cut -d ' ' -f 1); ` +
    `if [ "$got" != ${quoteArg(sha256)} ]; then rm -f ${file}; echo "artifact sha256 is $got on this host, expected "${quoteArg(sha256)}"; the upload was cut or altered, nothing was unpacked" >&2; exit ${ARTIFACT_MISMATCH_EXIT}; fi; ` +
    `mkdir -p ${partial}; tar -xz --no-same-owner -C ${partial} -f ${file}; rm -f ${file}; ` +
    `rm -rf ${partial}/REVISION ${partial}/ARTIFACT; ` +
    `printf '%s\\n' ${quoteArg(commit)} > ${partial}/REVISION; printf '%s\\n' ${quoteArg(sha256)} > ${partial}/ARTIFACT; ` +
    `[ ! -e ${final} ] || { echo "release folder already exists" >&2; exit 1; }; ` +
    `mv ${partial} ${final}`
  );
}
