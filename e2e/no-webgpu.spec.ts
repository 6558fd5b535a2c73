// In a Chromium started without WebGPU the app shows what is missing and how to enable
// it, and offers no training controls.
import { chromium, expect, test } from '@playwright/test';
import { chromiumExecutable } from '../scripts/chromium.ts';

test('no webgpu shows a clear page', async ({ baseURL }) => {
  const browser = await chromium.launch({
    executablePath: chromiumExecutable(),
    args: ['--no-sandbox', '--disable-webgpu', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(baseURL!);
    await expect(page.getByTestId('no-webgpu')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByRole('heading', { level: 1 })).toContainText('WebGPU is not available');
    await expect(page.getByTestId('no-webgpu')).toContainText('enable-unsafe-webgpu');
    await expect(page.getByRole('button', { name: 'Start' })).toHaveCount(0);
  } finally {
    await browser.close();
  }
});
