// CLM and ESLM-loss trained side by side on the Brown corpus with the tiny preset: every
// chart gets points for both runs, the selected-token ratios match k/M, and the token
// view marks exactly the kept tokens.
import { expect, test } from '@playwright/test';
import { chartPoints, collectPageErrors, waitForDevice, waitForPhase } from './helpers.ts';

const CHARTS = ['train-loss', 'val-perplexity', 'worst-genre', 'selected-ratio', 'alpha', 'flops-saved', 'tokens-per-second'];
/** Charts with one point per evaluation rather than per step. */
const EVAL_CHARTS = ['val-perplexity', 'worst-genre'];
const ALPHA = 0.5;
const STEPS = 40;

/** k = ceil((1 − α)·M), written out here so the test does not reuse the engine's helper. */
function keptTokens(alpha: number, M: number): number {
  return Math.ceil((1 - alpha) * M - 1e-9);
}

test('clm and eslm-loss train side by side', async ({ page }) => {
  const errors = collectPageErrors(page);
  await page.goto('/');
  await waitForDevice(page);
  if ((await page.getByTestId('adapter-architecture').textContent()) === 'swiftshader') {
    await expect(page.getByTestId('fallback-warning')).toBeVisible();
  }
  await expect(page.getByTestId('matmul-speed')).toContainText('GFLOP/s', { timeout: 60_000 });

  // Brown corpus, tiny preset, CLM and ESLM-loss at α = 0.5.
  await page.locator('[data-preset="tiny"]').click();
  await page.locator('#field-corpus').selectOption('brown');
  await page.locator('#field-steps').fill(String(STEPS));
  await page.locator('#field-evalEvery').fill('20');
  await page.locator('#field-evalWindowsPerGenre').fill('4');
  await page.locator('#field-runs-0-strategy').selectOption('clm');
  await page.locator('#field-runs-1-strategy').selectOption('eslm-loss');
  await page.locator('#field-runs-1-alpha').fill(String(ALPHA));
  await expect(page.locator('[role="alert"]')).toHaveCount(0);

  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.locator('.progress-list progress').first()).toBeVisible();
  await waitForPhase(page, 'running');

  // Pause and resume once training has produced records.
  await expect.poll(() => chartPoints(page, 'train-loss', 'clm'), { timeout: 120_000 }).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Pause' }).click();
  await waitForPhase(page, 'paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await waitForPhase(page, 'finished', 180_000);

  const eslm = `eslm-loss@${ALPHA}`;
  for (const chart of CHARTS) {
    for (const run of ['clm', eslm]) {
      // FLOPs saved has an executed and a nominal series per run.
      const series = chart === 'flops-saved' ? `${run} executed` : run;
      const points = await chartPoints(page, chart, series);
      expect(points, `${chart} points of ${run}`).toBeGreaterThan(EVAL_CHARTS.includes(chart) ? 2 : 10);
    }
    const paths = await page.locator(`[data-chart="${chart}"] .recharts-line path.recharts-curve`).count();
    expect(paths, `${chart} curves drawn`).toBeGreaterThanOrEqual(2);
  }

  // Per-genre perplexity of the latest evaluation: 15 Brown genres named by category, one worst per run.
  await expect(page.locator('.genre-table th[data-genre]')).toHaveCount(15);
  await expect(page.locator('.genre-table th[data-genre="ca"]')).toHaveText('news');
  for (const run of ['clm', eslm]) {
    await expect(page.locator(`.genre-table tr[data-run="${run}"] td[data-genre]`)).toHaveCount(15);
    await expect(page.locator(`.genre-table tr[data-run="${run}"] td[data-worst="1"]`)).toHaveCount(1);
  }

  // Selected-token ratio: k/M for ESLM, 1 for CLM, shown exactly.
  const M = 4 * 32;
  const k = keptTokens(ALPHA, M);
  const ratioLegend = (run: string) => page.locator(`[data-chart="selected-ratio"] li[data-series="${run}"] [data-latest]`);
  await expect(ratioLegend('clm')).toHaveText(`${M}/${M} = 1.0000`);
  await expect(ratioLegend(eslm)).toHaveText(`${k}/${M} = ${(k / M).toFixed(4)}`);
  expect(Math.abs(k / M - (1 - ALPHA))).toBeLessThanOrEqual(1 / M);
  await expect(page.locator(`tr[data-run="${eslm}"] [data-kept-ratio]`)).toHaveAttribute('data-kept-ratio', String(k / M));
  await expect(page.locator('tr[data-run="clm"] [data-kept-ratio]')).toHaveAttribute('data-kept-ratio', '1');

  // Token view of the ESLM run marks exactly k tokens.
  await page.locator('#inspect-run').selectOption({ label: eslm });
  await expect(page.locator('.token-summary')).toContainText(eslm);
  await expect(page.locator('.token[data-kept="1"]')).toHaveCount(k);
  await expect(page.locator('.token')).toHaveCount(M);
  await expect(page.locator('.token-summary')).toHaveAttribute('data-kept-count', String(k));
  await page.locator('#inspect-run').selectOption({ label: 'clm' });
  await expect(page.locator('.token-summary')).toHaveAttribute('data-kept-count', String(M));
  await expect(page.locator('.token[data-kept="1"]')).toHaveCount(M);

  // Samples from both runs' models.
  await page.getByRole('button', { name: 'Generate from every run' }).click();
  for (const run of ['clm', eslm]) {
    await expect(page.locator(`[data-sample-run="${run}"] pre`)).not.toBeEmpty({ timeout: 60_000 });
  }

  await page.screenshot({ path: 'test-results/paired-runs.png', fullPage: true });
  expect(errors).toEqual([]);
});
