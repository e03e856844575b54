/**
 * Pattern diagrams in the console (SPEC §15 "Diagram"), in a real browser against the whole stack: a thred page draws
 * the thred's path with Mermaid (bundled, loaded on first use) and the current reaction highlighted; when the thred
 * moves (a message arrives) the diagram is redrawn; the pattern page draws the pattern.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { detectionEvent } from '../../bin/commands/sensor';
import { launchBrowser, screenshot, type TestBrowser, logIn as logInAs } from './browser';
import { startConsoleStack, type ConsoleStack } from './stack';

let stack: ConsoleStack;
let browser: TestBrowser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startConsoleStack('e2e_diagram'), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function logIn(participantId: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (err) => console.error('[browser] page error:', err.message));
  await logInAs(page, stack.url, participantId, stack.password(participantId));
  await page.locator('#live-status.live').waitFor({ timeout: 15_000 });
  return page;
}

/** Text of the SVG state nodes carrying a Mermaid class (`current` / `visited`). */
function marked(page: Page, cls: string): Promise<string[]> {
  return page
    .locator(`.diagram-canvas svg g.node.${cls}`)
    .evaluateAll((nodes) => nodes.map((n) => (n.textContent ?? '').trim()));
}

describe('diagrams (console)', () => {
  it('a thred page shows its path with the current reaction highlighted, redrawn as the thred moves', async () => {
    const page = await logIn('participant0');
    const res = await fetch(`${stack.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token('sensor_agent0')}` },
      body: JSON.stringify(
        detectionEvent({ id: 'sensor_agent0', sensorId: 'sensor0', latitude: 1, longitude: 2, seq: 1 }),
      ),
    });
    expect(res.status).toBe(202);
    const thredId = ((await res.json()) as { results: { started: string[] }[] }).results[0]!.started[0]!;
    await page.goto(`${stack.url}/#/thred/${encodeURIComponent(thredId)}`);
    const prompt = page.locator('article.msg', { hasText: 'Possible UAV Detected' });
    await prompt.waitFor({ timeout: 30_000 });

    // The thred waits in send_video for the answer: that state is drawn highlighted, the earlier ones visited.
    await expect.poll(() => marked(page, 'current'), { timeout: 20_000 }).toEqual(['send_video']);
    expect((await marked(page, 'visited')).sort()).toEqual(['lookup_contact', 'notify_contact']);
    const fill = await page
      .locator('.diagram-canvas svg g.node.current')
      .first()
      .evaluate((g) => {
        // Runs in the page; the test's tsconfig has no DOM types.
        const page = globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } };
        return page.getComputedStyle(g.querySelector('rect, path, polygon')).fill;
      });
    expect(fill).toBe('rgb(255, 224, 138)'); // the `current` classDef's fill (#ffe08a)
    await screenshot(page, 'diagram-thred');

    // Answer Yes: the thred ends; the video message arrives and the diagram is redrawn with nothing current.
    await prompt.getByRole('button', { name: 'Yes' }).click();
    await page.locator('article.msg', { hasText: 'UAV Video' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => marked(page, 'current'), { timeout: 20_000 }).toEqual([]);
    expect((await marked(page, 'visited')).sort()).toEqual(['lookup_contact', 'notify_contact', 'send_video']);
    await page.context().close();
  });

  it('the pattern page, linked from Admin → Patterns, draws the pattern (admin)', async () => {
    const page = await logIn('admin');
    // Reached from Admin → Patterns, where each stored pattern links its diagram.
    await page.goto(`${stack.url}/#/admin/patterns`);
    await page.getByRole('link', { name: 'Diagram of uav_detect' }).click();
    await page.getByRole('heading', { name: 'Pattern uav_detect' }).waitFor();
    await page.locator('.diagram-canvas svg').waitFor({ timeout: 20_000 });
    const states = await page
      .locator('.diagram-canvas svg g.node')
      .evaluateAll((nodes) => nodes.map((n) => (n.textContent ?? '').trim()).filter(Boolean));
    expect(states).toEqual(expect.arrayContaining(['lookup_contact', 'notify_contact', 'send_video']));
    await expect(page.locator('.diagram-canvas svg').textContent()).resolves.toContain('expiry 1min');
    await expect(page.locator('.diagram-canvas svg g.node.current').count()).resolves.toBe(0);
    await screenshot(page, 'diagram-pattern');
    await page.context().close();
  });
});
