// The links slipway sends out (notifications, commit statuses, the terminal): report.url plus a
// page path when the report has a public address, else the listen address of the daemon's server
// or, for the terminal, the page on disk.

import { join } from 'node:path';
import type { Settings } from '../config/types.ts';
import { key, pagePath } from './format.ts';
import { statePaths } from '../state/paths.ts';

/** The report's base URL without a trailing slash: report.url, else http://server.listen, else none. */
export function reportBaseUrl(settings: Pick<Settings, 'report' | 'server'>): string | undefined {
  if (settings.report.url !== undefined) return settings.report.url.replace(/\/+$/, '');
  return settings.server ? `http://${settings.server.listen}` : undefined;
}

/** The URL of a report file (segments from pagePath), or undefined without a base URL. */
export function reportUrlOf(base: string | undefined, segments: string[]): string | undefined {
  return base === undefined ? undefined : `${base}/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

/** A run page as people can open it: its public URL with report.url, else its file in STATE/www. */
export function runPageLocation(settings: Pick<Settings, 'report' | 'stateDir'>, pipeline: string, run: number): string {
  const segments = pagePath.run(pipeline, run);
  if (settings.report.url !== undefined) return reportUrlOf(settings.report.url.replace(/\/+$/, ''), segments)!;
  return join(statePaths(settings.stateDir).www, key(segments));
}
