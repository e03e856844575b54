/**
 * The console's batch action in a real browser against the whole stack: the admin filters threds by pattern and
 * reaction, picks an op, confirms a dialog that names the count (from a dry run), and the matching threds end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type TestBrowser, logIn } from './browser';
import { startConsoleStack, type ConsoleStack } from './stack';

let stack: ConsoleStack;
let browser: TestBrowser;

const pattern = {
  id: 'e2e_batch',
  name: 'E2E batch',
  reactions: [
    {
      name: 'holding',
      condition: { type: 'filter', xpr: "$event.type = 'e2e.batch'", transition: { name: '$noTransition' } },
    },
    { name: 'released', condition: { type: 'filter', xpr: 'true' } },
  ],
};

beforeAll(async () => {
  [stack, browser] = await Promise.all([startConsoleStack('e2e_batch'), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function api(
  method: string,
  path: string,
  body: unknown,
  token: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('console batch action', () => {
  it('acts on every thred the filter selects, after a confirmation naming the count', async () => {
    const admin = stack.token('admin', ['admin']);
    expect((await api('PUT', '/patterns/e2e_batch', pattern, admin)).status).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await api('POST', '/events', { type: 'e2e.batch', source: { id: 'x' } }, stack.token('sensor_agent0'));
      expect(r.status).toBe(202);
      ids.push((r.body.results as { started: string[] }[])[0]!.started[0]!);
    }
    // Visibility catches up with the new threds before the console's dry run counts them.
    await expect
      .poll(
        async () =>
          (
            await api(
              'POST',
              '/threds/batch',
              { op: 'terminate', filter: { pattern: 'e2e_batch' }, dryRun: true },
              admin,
            )
          ).body.count,
        { timeout: 15_000 },
      )
      .toBe(2);

    const page = await browser.newPage();
    page.on('pageerror', (err) => console.error('[browser] page error:', err.message));
    await logIn(page, stack.url, 'admin', stack.password('admin'));
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('link', { name: 'Threds' }).click();
    await page.locator('#thred-pattern').fill('e2e_batch');
    await page.locator('#thred-reaction').fill('holding');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('.threds-table tbody tr[data-thred-id]').count(), { timeout: 10_000 }).toBe(2);

    await page.locator('#batch-op').selectOption('terminate');
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.locator('#batch-run').click();
    await expect.poll(() => page.locator('p.status').innerText(), { timeout: 20_000 }).toBe('Batch terminate: done');
    expect(asked).toBe('terminate 2 threds?');
    for (const id of ids) {
      await expect
        .poll(async () => (await stack.engine.store.threds.get(id))?.status, { timeout: 10_000 })
        .toBe('terminated');
    }
    await screenshot(page, 'admin-3-batch');
    await page.context().close();
  });
});
