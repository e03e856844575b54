/**
 * Headless Debian Chromium driven by playwright-core, for the console's end-to-end tests. The browser is installed by
 * the set-up step before any test runs (scripts/ensure-setup.mjs → scripts/install-browser.sh, apt-get install
 * chromium) — test tools' own browser downloads do not work here. This file only finds it.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectRoot } from '../../bin/stack';

export const CHROMIUM = process.env.THREDS_CHROMIUM ?? '/usr/bin/chromium';
export const artifactsDir = join(projectRoot, 'test-results', 'e2e');

export function ensureBrowser(): void {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the e2e suite needs it. Run the set-up step (npm run setup, or ` +
        'bash scripts/install-browser.sh as root), or set THREDS_CHROMIUM to a Chromium binary.',
    );
  }
}

// Checked when the suite loads, before its beforeAll starts a stack that a missing browser would leave running.
ensureBrowser();

export interface TestBrowser {
  browser: Browser;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  ensureBrowser();
  mkdirSync(artifactsDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ], // playwright-core gives each launch a fresh, temporary --user-data-dir of its own
  });
  return {
    browser,
    async newPage() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
      return context.newPage();
    },
    async close() {
      await browser.close();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The console's login form, filled and sent (the page then loads the participant's view). */
export async function logIn(page: Page, baseUrl: string, participantId: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Participant id').fill(participantId);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}
