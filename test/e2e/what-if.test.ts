/**
 * The console's "What if…" on a thred page (SPEC §15 what-if replay), in a real browser against the whole stack: the
 * editor opens with the thred's pattern, a replay through it shows the same path, and an edited pattern shows the
 * divergence marked in both columns.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../bin/stack';
import { launchBrowser, screenshot, type TestBrowser, logIn } from './browser';
import { startConsoleStack, type ConsoleStack } from './stack';

let stack: ConsoleStack;
let browser: TestBrowser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startConsoleStack('e2e_what_if'), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('what if (console)', () => {
  it('replays a thred through its pattern and through an edited one, side by side', async () => {
    const echo = readFileSync(join(projectRoot, 'patterns', 'library', 'echo.json'), 'utf8');
    const adminAuth = {
      'content-type': 'application/json',
      authorization: `Bearer ${stack.token('admin', ['admin'])}`,
    };
    const put = await fetch(`${stack.url}/patterns/echo_test`, { method: 'PUT', headers: adminAuth, body: echo });
    expect(put.status).toBe(200);
    const res = await fetch(`${stack.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token('admin', ['admin'])}` },
      body: JSON.stringify({
        type: 'org.wt.echo',
        source: { id: 'admin' },
        data: { content: { values: { echoTo: 'admin', echoTitle: 'what if' } } },
      }),
    });
    const body = (await res.json()) as { results: { started: string[] }[] };
    expect(res.status, JSON.stringify(body)).toBe(202);
    const thredId = body.results[0]!.started[0]!;
    expect(JSON.stringify(body)).toMatch(/"started":\["echo_test_/);

    const page = await browser.newPage();
    page.on('pageerror', (err) => console.error('[browser] page error:', err.message));
    await logIn(page, stack.url, 'admin', stack.password('admin'));
    await page.locator('#live-status.live').waitFor({ timeout: 15_000 });
    await page.goto(`${stack.url}/#/thred/${encodeURIComponent(thredId)}`);

    await page.getByText('What if…').click();
    const editor = page.locator('#what-if-pattern');
    const status = page.locator('.what-if-form .status');
    await expect
      .poll(async () => (await editor.inputValue()) || (await status.textContent()), { timeout: 15_000 })
      .toContain('"echo_test"');

    await page.getByRole('button', { name: 'Replay' }).click();
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toContain('Same path');
    await expect(page.locator('.what-if-path').count()).resolves.toBe(2);

    const pattern = JSON.parse(await editor.inputValue()) as {
      reactions: { condition: { transition?: { name: string } } }[];
    };
    pattern.reactions[0]!.condition.transition = { name: '$terminate' };
    await editor.fill(JSON.stringify(pattern, null, 2));
    await page.getByRole('button', { name: 'Replay' }).click();
    await expect
      .poll(() => status.textContent(), { timeout: 15_000 })
      .toContain(`Diverges at ${thredId.replace(/^echo_test_/, '')}`);
    // The first differing decision is marked on both sides.
    await expect(page.locator('.what-if-path tr[data-diverges]').count()).resolves.toBe(2);
    await screenshot(page, 'what-if');
    await page.context().close();
  });
});
