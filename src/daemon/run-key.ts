/** How the daemon names a run in progress ("PIPELINE#N"), for `slipway cancel`. */
export const runKey = (pipeline: string, n: number): string => `${pipeline}#${n}`;
