/**
 * The status page as a person sees it: the real app on a free port, opened in headless Chromium
 * (Debian's /usr/bin/chromium, driven by playwright-core). Saves a full-page screenshot to
 * test-artifacts/status-page.png for review.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerStatus } from '../../controller/engine/status.ts';
import { createApp } from '../../controller/http/app.ts';
import { startHttpServer } from '../../controller/http/server.ts';
import type { HttpServerHandle } from '../../controller/http/server.ts';
import { BerthMetrics } from '../../controller/http/metrics.ts';
import { REVISION, fakeView, sampleStatus } from './fake-view.ts';

/** The browser's own global, used in functions that run in the page (the project's lib has no DOM types). */
declare const getComputedStyle: (element: unknown) => { readonly color: string };

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

describe('status page in Chromium', { timeout: 30_000 }, () => {
  let server: HttpServerHandle;
  let browser: Browser | undefined;
  let page: Page;
  let status: ControllerStatus;

  beforeAll(async () => {
    // A missing browser is a broken test environment, not a reason to skip.
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to run the status page test`);
    }
    // The page shows ages relative to the real clock: the fixture's times are relative to it too.
    status = sampleStatus(new Date());
    const view = fakeView(status);
    server = await startHttpServer(createApp({ view, metrics: new BerthMetrics(), log: () => undefined }), 0, { host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const response = await page.goto(`${server.url}/`);
    expect(response?.status()).toBe(200);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the source, its short revision and role', async () => {
    await expect(page.title()).resolves.toBe(`Berth · ${REVISION.slice(0, 7)}`);
    expect(await page.getByTestId('source-description').innerText()).toBe(status.source.description);
    const revision = page.getByTestId('revision');
    expect(await revision.getAttribute('data-revision')).toBe(REVISION);
    expect(await revision.innerText()).toMatch(new RegExp(`^${REVISION.slice(0, 7)} committed .+ ago$`));
    expect(await page.getByTestId('role').getAttribute('data-role')).toBe('leader');
    expect(await page.getByTestId('ready').innerText()).toBe('Ready');
  });

  it('shows the Healthy, Synced service', async () => {
    const row = page.locator('[data-resource="Service/api"]');
    expect(await row.getAttribute('data-sync')).toBe('Synced');
    expect(await row.getAttribute('data-health')).toBe('Healthy');
    expect(await row.getByTestId('sync-badge').innerText()).toBe('Synced');
    expect(await row.getByTestId('health-badge').innerText()).toBe('Healthy');
    expect(await row.getByTestId('health-message').innerText()).toBe('Rollout complete: 3 of 3 tasks running');
    expect(await row.getByTestId('applied-revision').innerText()).toBe(REVISION.slice(0, 7));
    // Green: the badge's computed colour, not just its class.
    expect(await row.getByTestId('health-badge').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(26, 127, 55)');
  });

  it('shows the Degraded, OutOfSync alarm with its health message and last error', async () => {
    const row = page.locator('[data-resource="Alarm/api-cpu-high"]');
    expect(await row.getAttribute('data-sync')).toBe('OutOfSync');
    expect(await row.getAttribute('data-health')).toBe('Degraded');
    expect(await row.getByTestId('sync-badge').innerText()).toBe('OutOfSync');
    expect(await row.getByTestId('health-badge').innerText()).toBe('Degraded');
    expect(await row.getByTestId('health-message').innerText()).toMatch(/^ALARM: Threshold Crossed: 3 datapoints/);
    expect(await row.getByTestId('last-error').innerText()).toMatch(/^Throttled: PutMetricAlarm was throttled; retrying in 8s/);
    expect(await row.getByTestId('health-badge').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(207, 34, 46)');
  });

  it('shows the rejected revision with its problem at file:line:column', async () => {
    const error = page.getByTestId('source-error');
    expect(await error.getAttribute('data-reason')).toBe('ValidationFailed');
    expect(await error.innerText()).toContain('revision 9e8d7c6 was rejected');
    const problem = error.getByTestId('problem');
    expect(await problem.count()).toBe(1);
    expect(await problem.innerText()).toContain('manifests/api.yaml:14:7 fargate-cpu-memory — cpu 256 does not allow memory 4096');
    expect(await problem.innerText()).toContain('Fix: use memory 512, 1024 or 2048 with cpu 256');
  });

  it('lists the events of both resources, newest first', async () => {
    const events = page.getByTestId('event');
    expect(await events.count()).toBe(4);
    expect(await Promise.all((await events.all()).map((event) => event.getAttribute('data-event-resource')))).toEqual([
      'Alarm/api-cpu-high',
      'Alarm/api-cpu-high',
      'Service/api',
      'Service/api',
    ]);
  });

  it('saves a full-page screenshot', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, 'status-page.png');
    await page.screenshot({ path, fullPage: true });
    expect(existsSync(path)).toBe(true);
  });
});
