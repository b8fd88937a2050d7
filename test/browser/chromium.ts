// Launching Debian's Chromium for the report tests, through playwright-core, with the flags this
// project uses everywhere (no sandbox as root, no network chatter of its own) and a fresh profile.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why the browser tests cannot run, or undefined when they can. In CI (process.env.CI) a missing
 * Chromium is a failure, not a skip: there the tests are mandatory.
 */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const why = `${CHROMIUM} does not exist (Debian: apt-get install chromium)`;
  if (process.env.CI) throw new Error(`browser tests are mandatory in CI, but ${why}`);
  return why;
}

export function skipWithoutChromium(t: TestContext): boolean {
  const why = chromiumMissing();
  if (why === undefined) return false;
  t.skip(`no browser: ${why}`);
  return true;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A browser with its own empty profile (removed on close). */
export async function launchChromium(opts: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {}): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'slipway-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      viewport: opts.viewport ?? { width: 1280, height: 900 },
      colorScheme: opts.colorScheme ?? 'light',
      timeout: 60_000,
    });
    return {
      context,
      async close() {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
}
