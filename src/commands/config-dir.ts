/** --config DIR, else $SLIPWAY_CONFIG, else ./config (CONTRACT.md "Command line"). */
export function configDirFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.SLIPWAY_CONFIG ?? 'config';
}
