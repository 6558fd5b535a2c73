// Shared steps of the end-to-end tests: loopback-only network guard and waiting for
// training progress.
import { expect, type Page } from '@playwright/test';

/** Aborts every request to a host other than 127.0.0.1 or localhost and records its URL. */
export async function blockOutsideRequests(page: Page): Promise<string[]> {
  const outside: string[] = [];
  await page.context().route('**/*', (route) => {
    const url = new URL(route.request().url());
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.protocol === 'data:' || url.protocol === 'blob:';
    if (loopback) return route.continue();
    outside.push(url.href);
    return route.abort('blockedbyclient');
  });
  return outside;
}

/** Fails the test on an uncaught page error or a console error. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console error: ${message.text()}`);
  });
  return errors;
}

/** Waits until the device panel shows an adapter, so Start can be pressed. */
export async function waitForDevice(page: Page): Promise<void> {
  await expect(page.getByTestId('adapter-architecture')).toBeVisible({ timeout: 60_000 });
}

/** Number of points a chart legend reports for a run. */
export async function chartPoints(page: Page, chart: string, run: string): Promise<number> {
  const value = await page.locator(`[data-chart="${chart}"] li[data-series="${run}"]`).getAttribute('data-points');
  return Number(value ?? 0);
}

/** Waits until the phase badge reads `phase`. */
export async function waitForPhase(page: Page, phase: string, timeout = 120_000): Promise<void> {
  await expect(page.locator('.phase')).toHaveAttribute('data-phase', phase, { timeout });
}
