// End-to-end tests of the built app in Chromium with WebGPU (SwiftShader where there is
// no GPU). `npm run test:e2e` builds first; the web server serves dist/ on loopback.
import { defineConfig } from '@playwright/test';
import { chromiumExecutable, WEBGPU_CHROMIUM_ARGS } from './scripts/chromium.ts';

// A port per test process unless ESLM_E2E_PORT is set, so two suites on one host do
// not collide. Set in the environment so Playwright's worker processes agree on it.
process.env.ESLM_E2E_PORT ??= String(4300 + (process.pid % 500));
const PORT = Number(process.env.ESLM_E2E_PORT);

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/e2e',
  // One GPU adapter and two CPU cores in CI: tests run one at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    viewport: { width: 1400, height: 1000 },
    launchOptions: { executablePath: chromiumExecutable(), args: WEBGPU_CHROMIUM_ARGS },
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
