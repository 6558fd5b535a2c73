// Chromium's location, and the flags that give it WebGPU on a machine without a GPU.
import { existsSync } from 'node:fs';

/**
 * Flags for WebGPU in headless Chromium. `--use-webgpu-adapter=swiftshader` selects
 * the software Vulkan adapter only where no hardware adapter exists: set
 * ESLM_WEBGPU_ADAPTER=default to let Chromium pick a real GPU.
 */
export const WEBGPU_CHROMIUM_ARGS: string[] = [
  '--enable-unsafe-webgpu',
  ...(process.env.ESLM_WEBGPU_ADAPTER === 'default' ? [] : ['--use-webgpu-adapter=swiftshader']),
  '--enable-features=Vulkan',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/**
 * Chromium binary: $CHROMIUM_PATH, else Debian's /usr/bin/chromium, else undefined so
 * Playwright uses its own downloaded browser (on a workstation that has one).
 */
export function chromiumExecutable(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH points to a missing file: ${fromEnv}`);
    return fromEnv;
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return undefined;
}
