// A shared link restores the set-up, and values read from it are validated like typed ones.
import { expect, test } from '@playwright/test';
import { waitForDevice } from './helpers.ts';

test('shared link restores the set-up', async ({ page }) => {
  await page.goto('/?preset=custom&corpus=brown&tokenizer=char&schedule=constant&nLayer=3&nHead=2&nEmbd=48&blockSize=24'
    + '&batchSize=2&seqLen=16&steps=77&seed=9&lr=0.002&warmupSteps=5&evalEvery=11&evalWindowsPerGenre=3&metricsEvery=7'
    + '&runs=clm:0,eslm-entropy:0.75');
  const expected: Record<string, string> = {
    nLayer: '3', nHead: '2', nEmbd: '48', blockSize: '24', batchSize: '2', seqLen: '16', steps: '77', seed: '9',
    lr: '0.002', warmupSteps: '5', evalEvery: '11', evalWindowsPerGenre: '3', metricsEvery: '7',
  };
  for (const [field, value] of Object.entries(expected)) await expect(page.locator(`#field-${field}`)).toHaveValue(value);
  await expect(page.locator('#field-schedule')).toHaveValue('constant');
  await expect(page.locator('#field-runs-1-strategy')).toHaveValue('eslm-entropy');
  await expect(page.locator('#field-runs-1-alpha')).toHaveValue('0.75');
  await expect(page.locator('[role="alert"]')).toHaveCount(0);
  await waitForDevice(page);
  await expect(page.getByRole('button', { name: 'Start' })).toBeEnabled();

  // Editing a field rewrites the link, so copying the address shares the edit.
  await page.locator('#field-steps').fill('78');
  await expect.poll(() => new URL(page.url()).searchParams.get('steps')).toBe('78');
});

test('invalid values from a link show messages', async ({ page }) => {
  await page.goto('/?preset=tiny&nEmbd=64&nHead=3&blockSize=16&seqLen=32&lr=-1&steps=abc&runs=clm:0,eslm-loss:1.5,magic:0.2');
  await expect(page.locator('[data-error-for="field-nHead"]')).toContainText('not divisible by 3 heads');
  await expect(page.locator('[data-error-for="field-seqLen"]')).toContainText('exceeds the context 16');
  await expect(page.locator('[data-error-for="field-lr"]')).toContainText('above 0');
  await expect(page.locator('[data-error-for="field-steps"]')).toContainText('whole number');
  await expect(page.locator('[data-error-for="field-runs-1-alpha"]')).toContainText('below 1');
  await expect(page.locator('[data-error-for="field-runs-2-strategy"]')).toContainText('Unknown strategy "magic"');
  await expect(page.getByRole('button', { name: 'Start' })).toBeDisabled();

  // Fixing the fields clears the messages.
  await page.locator('#field-nHead').fill('4');
  await expect(page.locator('[data-error-for="field-nHead"]')).toHaveCount(0);
});
