// Saving a run's model as a safetensors file and loading it as the reference of a Rho-1
// run and the teacher of an ESLM-KD run. A file that is not a checkpoint gets a message.
import { expect, test } from '@playwright/test';
import { chartPoints, collectPageErrors, waitForDevice, waitForPhase } from './helpers.ts';

const STEPS = 4;
const SETUP = `preset=tiny&steps=${STEPS}&warmupSteps=1&evalEvery=0&evalWindowsPerGenre=2&metricsEvery=2`;

/** Bytes from a fixed linear congruential generator, so the file is the same on every run. */
function noiseBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = 12345;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

test('saved model trains rho1 and eslm-kd', async ({ page }, testInfo) => {
  const errors = collectPageErrors(page);
  await page.goto(`/?${SETUP}&runs=clm:0`);
  await waitForDevice(page);
  await page.getByRole('button', { name: 'Start' }).click();
  await waitForPhase(page, 'finished');

  // Save the CLM run's model through the page's download.
  const downloadEvent = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save model of clm' }).click();
  const download = await downloadEvent;
  expect(download.suggestedFilename()).toBe('clm.safetensors');
  const checkpointPath = testInfo.outputPath('clm.safetensors');
  await download.saveAs(checkpointPath);
  await expect(page.getByTestId('save-message')).toContainText('Saved clm.safetensors');

  // Rho-1 with the file as reference, ESLM-KD with it as teacher.
  await page.locator('#field-runs-0-strategy').selectOption('rho1');
  await page.locator('#field-runs-0-alpha').fill('0.5');
  await expect(page.locator('[data-error-for="field-runs-0-checkpoint"]')).toContainText('Rho-1 needs a reference model');
  await page.getByRole('button', { name: 'Add a run' }).click();
  await page.locator('#field-runs-1-strategy').selectOption('eslm-kd');
  await expect(page.locator('#field-runs-1-kdLambda')).toHaveValue('0.5');
  await expect(page.locator('#field-runs-1-kdTemperature')).toHaveValue('2');
  for (const row of [0, 1]) {
    await page.getByTestId(`checkpoint-file-${row}`).setInputFiles(checkpointPath);
    await expect(page.locator(`#field-runs-${row}-checkpoint ~ .hint`)).toContainText(`"clm.safetensors": L=2 NH=4 C=64 blockSize=32`);
  }
  await expect(page.locator('[role="alert"]')).toHaveCount(0);

  // The file's character tokenizer does not fit a GPT-2 BPE set-up.
  await page.locator('#field-tokenizer').selectOption('gpt2');
  await expect(page.locator('[data-error-for="field-runs-0-checkpoint"]')).toContainText('was trained with the char tokenizer');
  await expect(page.getByRole('button', { name: 'Start' })).toBeDisabled();
  await page.locator('#field-tokenizer').selectOption('char');
  await expect(page.locator('[role="alert"]')).toHaveCount(0);

  await page.getByRole('button', { name: 'Start' }).click();
  await waitForPhase(page, 'finished');
  for (const run of ['rho1@0.5', 'eslm-kd@0.5']) {
    expect(await chartPoints(page, 'train-loss', run), `train-loss points of ${run}`).toBe(STEPS);
    expect(await chartPoints(page, 'val-perplexity', run), `val-perplexity points of ${run}`).toBe(2);
  }
  await expect(page.getByTestId('run-error')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('random bytes rejected as checkpoint', async ({ page }) => {
  await page.goto(`/?${SETUP}&runs=rho1:0.5`);
  await expect(page.locator('aside [role="note"]')).toContainText('Run 1 (Rho-1) needs its reference model file, which a link cannot carry');

  await page.getByTestId('checkpoint-file-0').setInputFiles({ name: 'noise.safetensors', mimeType: 'application/octet-stream', buffer: noiseBytes(4096) });
  const message = page.locator('[data-error-for="field-runs-0-checkpoint"]');
  await expect(message).toContainText('"noise.safetensors" is not a usable checkpoint: invalid safetensors file');
  await expect(message).toContainText('Load a .safetensors file saved with "Save model"');
  await waitForDevice(page);
  await expect(page.getByRole('button', { name: 'Start' })).toBeDisabled();
});
