// Training on the user's own text file, and clear messages for an empty or binary file.
import { expect, test, type Page } from '@playwright/test';
import { chartPoints, collectPageErrors, waitForDevice, waitForPhase } from './helpers.ts';

/** Returns a few kilobytes of made-up English prose, varied enough to split into ten documents. */
function sampleText(): string {
  const subjects = ['The lighthouse keeper', 'A tired cartographer', 'Our neighbour', 'The river pilot', 'An old clockmaker'];
  const verbs = ['painted', 'measured', 'forgot', 'carried', 'repaired'];
  const objects = ['the northern map', 'a brass compass', 'seven lanterns', 'the harbour gate', 'an unfinished letter'];
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) {
    lines.push(`${subjects[i % 5]} ${verbs[(i * 3) % 5]} ${objects[(i * 7) % 5]} on day ${i + 1}, and nobody noticed.`);
  }
  return lines.join('\n');
}

async function chooseFile(page: Page, name: string, buffer: Buffer): Promise<void> {
  await page.locator('#field-corpus').selectOption('user');
  await page.getByTestId('user-file').setInputFiles({ name, mimeType: 'text/plain', buffer });
}

test('trains on an uploaded text file', async ({ page }) => {
  const errors = collectPageErrors(page);
  await page.goto('/?preset=tiny&steps=12&evalEvery=6&evalWindowsPerGenre=4&metricsEvery=3&runs=clm:0,eslm-loss:0.5');
  await waitForDevice(page);
  await chooseFile(page, 'voyage.txt', Buffer.from(sampleText(), 'utf8'));
  await expect(page.getByTestId('dropzone')).toContainText('Using "voyage.txt"');
  await expect(page.locator('[role="alert"]')).toHaveCount(0);

  await page.getByRole('button', { name: 'Start' }).click();
  await waitForPhase(page, 'finished', 150_000);
  for (const run of ['clm', 'eslm-loss@0.5']) {
    expect(await chartPoints(page, 'train-loss', run), `train-loss points of ${run}`).toBe(12);
    expect(await chartPoints(page, 'val-perplexity', run), `val-perplexity points of ${run}`).toBe(3);
  }
  await expect(page.locator('.log pre')).toContainText('corpus user: 10 documents');
  expect(errors).toEqual([]);
});

test('empty file gives a clear message', async ({ page }) => {
  await page.goto('/');
  await chooseFile(page, 'empty.txt', Buffer.alloc(0));
  await expect(page.locator('[data-error-for="field-corpus"]')).toHaveText(/The file "empty.txt" is empty/);
  await expect(page.getByRole('button', { name: 'Start' })).toBeDisabled();
});

test('binary file gives a clear message', async ({ page }) => {
  await page.goto('/');
  // PNG signature and header bytes: invalid UTF-8 from the second byte on.
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0xff, 0xfe]);
  await chooseFile(page, 'picture.png', png);
  await expect(page.locator('[data-error-for="field-corpus"]')).toHaveText(/"picture.png" is not UTF-8 text/);
  await expect(page.getByRole('button', { name: 'Start' })).toBeDisabled();

  // Valid UTF-8 with NUL bytes is binary too.
  await chooseFile(page, 'data.bin', Buffer.from('abc\u0000def\u0000'.repeat(40), 'utf8'));
  await expect(page.locator('[data-error-for="field-corpus"]')).toHaveText(/"data.bin" contains NUL bytes/);
});
