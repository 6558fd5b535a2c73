// Ada-ESLM adapts α within its bounds, and the random control keeps ESLM's count
// without a VaR threshold. Saves a screenshot of both runs' curves.
import { expect, test } from '@playwright/test';
import { chartPoints, collectPageErrors, waitForDevice, waitForPhase } from './helpers.ts';

const STEPS = 12;
const ALPHA_MIN = 0.3;
const ALPHA_MAX = 0.6;
const ADA = 'ada-eslm@0.5';
const RANDOM = 'random@0.5';

test('ada-eslm alpha and random control', async ({ page }) => {
  const errors = collectPageErrors(page);
  await page.goto(`/?preset=tiny&steps=${STEPS}&warmupSteps=2&evalEvery=6&evalWindowsPerGenre=2&metricsEvery=3`
    + `&runs=ada-eslm:0.5:alphaMin=${ALPHA_MIN}:alphaMax=${ALPHA_MAX},random:0.5`);
  await expect(page.locator('#field-runs-0-alphaMin')).toHaveValue(String(ALPHA_MIN));
  await expect(page.locator('#field-runs-0-alphaMax')).toHaveValue(String(ALPHA_MAX));
  await waitForDevice(page);
  await page.getByRole('button', { name: 'Start' }).click();
  await waitForPhase(page, 'finished');

  for (const run of [ADA, RANDOM]) {
    expect(await chartPoints(page, 'alpha', run), `alpha points of ${run}`).toBe(STEPS);
    expect(await chartPoints(page, 'worst-genre', run), `worst-genre points of ${run}`).toBe(3);
  }

  // The legend and the runs table show Ada-ESLM's latest α, inside its bounds and moved from the start.
  const legendAlpha = Number(await page.locator(`[data-chart="alpha"] li[data-series="${ADA}"]`).getAttribute('data-last-y'));
  const tableAlpha = Number(await page.locator(`tr[data-run="${ADA}"] [data-alpha]`).getAttribute('data-alpha'));
  for (const alpha of [legendAlpha, tableAlpha]) {
    expect(alpha).toBeGreaterThanOrEqual(ALPHA_MIN);
    expect(alpha).toBeLessThanOrEqual(ALPHA_MAX);
    expect(alpha).not.toBe(0.5);
  }
  expect(tableAlpha).toBe(legendAlpha);
  await expect(page.locator(`tr[data-run="${ADA}"] [data-alpha]`)).toContainText(`in [${ALPHA_MIN}, ${ALPHA_MAX}]`);

  // Random keeps ceil((1 − α)·M) = 64 of M = 128 tokens, and its histogram has no VaR line.
  await expect(page.locator(`tr[data-run="${RANDOM}"] [data-kept-ratio]`)).toHaveAttribute('data-kept-ratio', '0.5');
  await page.locator('#inspect-run').selectOption({ label: RANDOM });
  await expect(page.locator('.token-summary')).toContainText(RANDOM);
  await expect(page.getByTestId('no-threshold')).toContainText('no VaR threshold');
  await expect(page.locator('.histogram [data-line="var"]')).toHaveCount(0);
  await expect(page.locator('.token[data-kept="1"]')).toHaveCount(64);
  await page.locator('#inspect-run').selectOption({ label: ADA });
  await expect(page.locator('.token-summary')).toContainText(ADA);
  await expect(page.locator('.histogram [data-line="var"]')).toHaveCount(1);
  await expect(page.getByTestId('no-threshold')).toHaveCount(0);

  await page.locator('#inspect-run').selectOption({ label: RANDOM });
  await expect(page.getByTestId('no-threshold')).toBeVisible();
  await page.screenshot({ path: 'test-results/ada-random.png', fullPage: true });
  expect(errors).toEqual([]);
});
