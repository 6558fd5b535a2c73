import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { chromiumExecutable, WEBGPU_CHROMIUM_ARGS } from './scripts/chromium.ts';

// Two projects: plain Node tests (reference math, data, runner options) and browser
// tests that run inside headless Chromium with WebGPU (kernels against the reference,
// whole training steps). Browser test files end in `.gpu.test.ts`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['src/**/*.gpu.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        publicDir: 'public',
        test: {
          name: 'browser',
          include: ['src/**/*.gpu.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: chromiumExecutable(),
                args: WEBGPU_CHROMIUM_ARGS,
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
