// The page loads and trains with every request to an outside host aborted, and keeps
// training after the browser goes offline: everything it needs is bundled.
import { expect, test } from '@playwright/test';
import { blockOutsideRequests, chartPoints, collectPageErrors, waitForDevice, waitForPhase } from './helpers.ts';

test('loads and trains with the network cut', async ({ page, context }) => {
  const outside = await blockOutsideRequests(page);
  const errors = collectPageErrors(page);
  await page.goto('/?preset=tiny&steps=10&evalEvery=0&evalWindowsPerGenre=2&metricsEvery=5&runs=clm:0,eslm-entropy:0.25');
  await waitForDevice(page);
  await expect(page.locator('#field-corpus + small.hint')).toContainText('available offline', { timeout: 60_000 });

  await context.setOffline(true);
  await page.getByRole('button', { name: 'Start' }).click();
  await waitForPhase(page, 'finished', 150_000);
  for (const run of ['clm', 'eslm-entropy@0.25']) {
    expect(await chartPoints(page, 'train-loss', run), `train-loss points of ${run}`).toBe(10);
  }
  expect(outside, 'requests to outside hosts').toEqual([]);
  expect(errors).toEqual([]);
});
