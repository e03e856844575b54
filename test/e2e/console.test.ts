/**
 * The web console end to end: a real browser (Debian Chromium via playwright-core) against the whole stack
 * (gateway + web plugin, thred worker, persistence agent) on the servers `threds test` started.
 * Screenshots go to test-results/e2e/ (git-ignored); the mid-flow one is also docs/console.png (the README's), written
 * when missing or with THREDS_UPDATE_SCREENSHOTS=1.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { projectRoot } from '../../bin/stack';
import { validatePattern } from '../../patterns';
import { detectionEvent } from '../../bin/commands/sensor';
import { launchBrowser, screenshot, type TestBrowser, logIn as logInAs } from './browser';
import { startConsoleStack, type ConsoleStack } from './stack';

let stack: ConsoleStack;
let browser: TestBrowser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startConsoleStack('e2e_console'), launchBrowser()]);
  // The library's echo pattern: a thred that answers each org.wt.echo event to the participants it names.
  const echo = JSON.parse(readFileSync(join(projectRoot, 'patterns', 'library', 'echo.json'), 'utf8')) as unknown;
  await stack.engine.store.patterns.put(validatePattern(echo).pattern!, Date.now());
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function openPage(): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (err) => console.error('[browser] page error:', err.message));
  return page;
}

function logIn(page: Page, participantId: string, password: string): Promise<void> {
  return logInAs(page, stack.url, participantId, password);
}

async function postSensorEvent(latitude: number, longitude: number): Promise<{ started: string[] }> {
  const event = detectionEvent({ id: 'sensor_agent0', sensorId: 'sensor0', latitude, longitude, seq: 1 });
  const res = await fetch(`${stack.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token('sensor_agent0')}` },
    body: JSON.stringify(event),
  });
  const body = (await res.json()) as { results: { started: string[] }[] };
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body.results[0]!;
}

let echoes = 0;
/** Starts an echo thred whose first answer, `<title> 1`, goes to `to`; returns the thred's id. */
async function postEcho(to: string[], title: string): Promise<string> {
  const res = await fetch(`${stack.url}/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${stack.token('participant0', ['responder'])}`,
    },
    body: JSON.stringify({
      id: `echo-${Date.now()}-${++echoes}`,
      type: 'org.wt.echo',
      source: { id: 'participant0' },
      data: { content: { values: { echoTo: to, echoTitle: title } } },
    }),
  });
  const { results } = (await res.json()) as { results: { started: string[] }[] };
  return results[0]!.started[0]!;
}

describe('web console', () => {
  it('serves the console at / without shadowing the API', async () => {
    const page = await fetch(`${stack.url}/`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Threds console</title>');
    const deep = await fetch(`${stack.url}/some/client/route`, { headers: { accept: 'text/html' } });
    expect(await deep.text()).toContain('<title>Threds console</title>');
    const api = await fetch(`${stack.url}/threds`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toContain('application/json');
    const health = await fetch(`${stack.url}/health`);
    expect(health.status).toBe(200);
  });

  it('rejects a wrong password with a visible error', async () => {
    const page = await openPage();
    await logIn(page, 'participant0', 'not-the-password');
    await expect(page.getByRole('alert').filter({ hasText: 'Login failed' }).textContent()).resolves.toContain(
      'Login failed',
    );
    await page.context().close();
  });

  it('UAV flow: participant0 sees the notification (map + Yes/No), answers Yes and gets the video', async () => {
    const page = await openPage();
    await logIn(page, 'participant0', stack.password('participant0'));
    await page.locator('#live-status.live').waitFor({ timeout: 15_000 });

    const { started } = await postSensorEvent(51.5007, -0.1246);
    expect(started).toHaveLength(1);
    const thredId = started[0]!;

    const prompt = page.locator('article.msg', { hasText: 'Possible UAV Detected' });
    await prompt.waitFor({ timeout: 30_000 });
    await expect(prompt.locator('svg[role="img"]').getAttribute('aria-label')).resolves.toContain('Detected UAV');
    await expect(prompt.locator('figcaption').innerText()).resolves.toContain('51.50070, -0.12460');
    const yes = prompt.getByRole('button', { name: 'Yes' });
    await yes.waitFor();
    await expect(prompt.getByRole('button', { name: 'No' }).isVisible()).resolves.toBe(true);
    // The thred appears in the list, refreshed by the message.
    await page.locator(`a.thred-link[data-thred-id="${thredId}"]`).waitFor({ timeout: 10_000 });
    await page.waitForTimeout(300); // let the SVG and list settle for the picture
    await screenshot(page, 'uav-1-notification');
    // The README's picture: written when missing or on request, so a test run leaves the work tree clean.
    const docsShot = join(projectRoot, 'docs', 'console.png');
    if (!existsSync(docsShot) || process.env.THREDS_UPDATE_SCREENSHOTS === '1') {
      mkdirSync(join(projectRoot, 'docs'), { recursive: true });
      await page.screenshot({ path: docsShot });
    }

    await yes.focus();
    await page.keyboard.press('Enter'); // keyboard works as well as a click
    await prompt.getByText('Answered: Yes').waitFor({ timeout: 15_000 });

    const video = page.locator('article.msg', { hasText: 'UAV Video' });
    await video.waitFor({ timeout: 30_000 });
    await expect(video.locator('video').getAttribute('src')).resolves.toMatch(/^https:\/\/.+\.mp4$/);
    await screenshot(page, 'uav-2-video');

    // The thred ends with the last reaction; the list shows it after the refresh that the message triggers.
    await page.locator(`a.thred-link[data-thred-id="${thredId}"] .pill:not(.active)`).waitFor({ timeout: 15_000 });

    // Reload: the hello carries `since`, replays are deduplicated, the answer is remembered.
    await page.reload();
    await page.locator('#live-status.live').waitFor({ timeout: 15_000 });
    // A marker sent once the session is open: the gateway sends it after the whole replay (a live message waits for
    // the replay to end), so once it is shown every replayed copy has been received too.
    await postEcho(['participant0'], 'After the reload');
    await page.locator('article.msg', { hasText: 'After the reload 1' }).waitFor({ timeout: 30_000 });
    await expect(page.locator('article.msg', { hasText: 'Possible UAV Detected' }).count()).resolves.toBe(1);
    await expect(page.locator('article.msg', { hasText: 'UAV Video' }).count()).resolves.toBe(1);
    await page.locator('article.msg', { hasText: 'Possible UAV Detected' }).getByText('Answered: Yes').waitFor();

    // The thred view filters the feed to this thred.
    await page.locator(`a.thred-link[data-thred-id="${thredId}"]`).click();
    await page.getByRole('heading', { name: `Thred ${thredId}` }).waitFor();
    await expect(page.locator('article.msg').count()).resolves.toBe(2);
    await screenshot(page, 'uav-3-thred');

    // It has ended: no broadcast form any more.
    await expect(page.locator('.broadcast-form').count()).resolves.toBe(0);
    await page.context().close();
  });

  it('broadcast inside a thred that allows it reaches the other participant', async () => {
    const [p0, p1] = [await openPage(), await openPage()];
    await logIn(p0, 'participant0', stack.password('participant0'));
    await logIn(p1, 'participant1', stack.password('participant1'));
    await p0.locator('#live-status.live').waitFor({ timeout: 15_000 });
    await p1.locator('#live-status.live').waitFor({ timeout: 15_000 });

    const thredId = await postEcho(['participant0', 'participant1'], 'Team check');
    expect(thredId).toBeTruthy();
    await p0.locator('article.msg', { hasText: 'Team check 1' }).waitFor({ timeout: 30_000 });
    await p1.locator('article.msg', { hasText: 'Team check 1' }).waitFor({ timeout: 30_000 });

    await p0.goto(`${stack.url}/#/thred/${encodeURIComponent(thredId)}`);
    await p0.getByLabel('Message to the other participants of this thred').fill('hello team');
    await p0.getByLabel('Message to the other participants of this thred').press('Enter');
    await p0.locator('.broadcast-form .status.ok').waitFor({ timeout: 10_000 });

    const received = p1.locator('article.msg', { hasText: 'hello team' });
    await received.waitFor({ timeout: 30_000 });
    await expect(received.innerText()).resolves.toContain('participant0');
    await screenshot(p1, 'broadcast-received');

    // Someone outside the thred is refused (error event 4101), and sees why in that thred's feed.
    const outsider = await openPage();
    await logIn(outsider, 'admin', stack.password('admin'));
    await outsider.locator('#live-status.live').waitFor({ timeout: 15_000 });
    await outsider.goto(`${stack.url}/#/thred/${encodeURIComponent(thredId)}`);
    await outsider.getByLabel('Message to the other participants of this thred').fill('let me in');
    await outsider.getByRole('button', { name: 'Broadcast' }).click();
    const refusal = outsider.locator('article.msg.error');
    await refusal.waitFor({ timeout: 30_000 });
    await expect(refusal.innerText()).resolves.toMatch(/4101/);
    await screenshot(outsider, 'broadcast-refused');
    // A marker through the same thred after the refusal: had the outsider's broadcast gone out, it would have reached
    // participant1 before this one.
    await p0.getByLabel('Message to the other participants of this thred').fill('after the outsider');
    await p0.getByLabel('Message to the other participants of this thred').press('Enter');
    await p1.locator('article.msg', { hasText: 'after the outsider' }).waitFor({ timeout: 30_000 });
    await expect(p1.locator('article.msg', { hasText: 'let me in' }).count()).resolves.toBe(0);
    for (const p of [p0, p1, outsider]) await p.context().close();
  });

  it('admin uploads an invalid pattern and sees its errors inline; a valid one saves', async () => {
    const page = await openPage();
    await logIn(page, 'admin', stack.password('admin'));
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('button', { name: /uav_detect/ }).waitFor({ timeout: 15_000 });

    const invalid = {
      id: 'broken_e2e',
      name: 'Broken',
      reactions: [{ name: 'first', condition: { type: 'filter', xpr: "$event.type = 'x' and (" } }],
    };
    await page.locator('#pattern-json').fill(JSON.stringify(invalid, null, 2));
    await page.getByRole('button', { name: 'Validate' }).click();
    const report = page.locator('#validation-report.bad');
    await report.waitFor({ timeout: 10_000 });
    const text = await report.innerText();
    expect(text).toMatch(/error/);
    expect(text).toContain('/reactions/0/condition/xpr');
    await screenshot(page, 'admin-1-invalid-pattern');

    // Save refuses too, inline.
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#validation-report.bad').waitFor();

    // Not even JSON: the syntax error is reported with its line.
    await page.locator('#pattern-json').fill('{ "id": "x", ');
    await page.getByRole('button', { name: 'Validate' }).click();
    await expect.poll(() => page.locator('#validation-report').innerText()).toMatch(/not valid JSON/);

    // A valid pattern saves and appears in the list.
    const valid = {
      ...invalid,
      meta: { active: false },
      reactions: [{ name: 'first', condition: { type: 'filter', xpr: "$event.type = 'x'" } }],
    };
    await page.locator('#pattern-json').fill(JSON.stringify(valid, null, 2));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: /broken_e2e/ }).waitFor({ timeout: 10_000 });
    expect(await stack.engine.store.patterns.get('broken_e2e')).toBeTruthy();
    await expect.poll(() => page.locator('#validation-report').innerText()).toContain('version 1');

    // A second save is version 2 (SPEC §15); version 1 stays and loads back into the editor.
    await page.locator('#pattern-json').fill(JSON.stringify({ ...valid, description: 'second' }, null, 2));
    await page.getByRole('button', { name: 'Save' }).click();
    const versionList = page.getByRole('list', { name: 'Versions of broken_e2e' });
    await versionList.getByRole('button', { name: 'version 2' }).waitFor({ timeout: 10_000 });
    expect(await versionList.locator('li').first().innerText()).toContain('current');
    await versionList.getByRole('button', { name: 'version 1' }).click();
    await expect.poll(() => page.locator('#pattern-json').inputValue()).toContain('"version": 1');
    expect(await page.locator('#pattern-json').inputValue()).not.toContain('second');

    // Simulation of uav_detect with a sensor event, shown as a table of steps.
    await page.getByRole('button', { name: /uav_detect/ }).click();
    await expect.poll(() => page.locator('#pattern-json').inputValue()).toContain('lookup_contact');
    await page
      .locator('#sim-events')
      .fill(
        JSON.stringify([
          detectionEvent({ id: 'sensor_agent0', sensorId: 'sensor0', latitude: 1, longitude: 2, seq: 1 }),
        ]),
      );
    await page.getByRole('button', { name: 'Simulate' }).click();
    await expect
      .poll(() => page.locator('#sim-result table').innerText(), { timeout: 10_000 })
      .toContain('lookup_contact');

    // Threds and dead letters load for the admin.
    await page.getByRole('link', { name: 'Threds' }).click();
    await page.locator('.threds-table tbody tr').first().waitFor({ timeout: 10_000 });
    const temporal = page.getByRole('link', { name: 'Temporal UI' }).first();
    await expect(temporal.getAttribute('href')).resolves.toMatch(/:8233\/namespaces\/default\/workflows\//);
    await screenshot(page, 'admin-2-threds');

    // Terminate a thred from its row, then reset it: for an ended thred the console does not re-apply updates, so
    // the admin terminate is not replayed and the thred is active again.
    const { started } = await postSensorEvent(3, 4);
    await expect.poll(() => stack.engine.store.threds.get(started[0]!), { timeout: 10_000 }).toBeTruthy();
    await page.getByRole('button', { name: 'Apply' }).click();
    const row = page.locator(`tr[data-thred-id="${started[0]}"]`);
    await row.waitFor({ timeout: 10_000 });
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Terminate' }).click();
    await row.locator('.pill.terminated').waitFor({ timeout: 10_000 });
    expect(await row.getByRole('checkbox').isChecked()).toBe(false);
    await row.getByRole('combobox').selectOption('first-workflow-task');
    await row.getByRole('button', { name: 'Reset' }).click();
    await row.locator('.pill.active').waitFor({ timeout: 10_000 });
    // The reset run did not end again: a re-applied terminate would be in the new run's history from the reset on,
    // so the state query (answered after replaying all of it) shows whether it was.
    const reset = stack.engine.s.client.workflow.getHandle(started[0]!);
    expect((await stack.engine.snapshot(started[0]!)).state.status).toBe('active');
    expect((await reset.describe()).status.name).toBe('RUNNING');
    expect((await stack.engine.store.threds.get(started[0]!))?.status).toBe('active');
    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.locator('table tbody tr').first().waitFor();
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    await page.context().close();
  });

  it('`threds sensor` posts detection events that start UAV threds (and their prompts reach the console)', async () => {
    const { run } = await import('../../bin/commands/sensor');
    const before = (await stack.engine.store.threds.list({ pattern: 'uav_detect', limit: 500 })).threds.length;
    const page = await openPage();
    await logIn(page, 'participant0', stack.password('participant0'));
    await page.locator('#live-status.live').waitFor({ timeout: 15_000 });
    const prompts = page.locator('article.msg', { hasText: 'Possible UAV Detected' });
    const shown = await prompts.count();

    const saved = process.env.THREDS_JWT_SECRET;
    process.env.THREDS_JWT_SECRET = stack.config.jwtSecret; // the CLI reads the configuration like `threds token`
    try {
      const rc = await run([
        '--id',
        'sensor_agent0',
        '--count',
        '2',
        '--interval',
        '50ms',
        '--lat',
        '48.8584',
        '--lon',
        '2.2945',
        '--url',
        stack.url,
      ]);
      expect(rc).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.THREDS_JWT_SECRET;
      else process.env.THREDS_JWT_SECRET = saved;
    }
    await expect
      .poll(async () => (await stack.engine.store.threds.list({ pattern: 'uav_detect', limit: 500 })).threds.length, {
        timeout: 15_000,
      })
      .toBe(before + 2);
    await expect.poll(() => prompts.count(), { timeout: 30_000 }).toBe(shown + 2);
    await expect(page.locator('figcaption', { hasText: '48.85840, 2.29450' }).count()).resolves.toBe(2);
    await page.context().close();
  });
});
