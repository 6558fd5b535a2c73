import { expect, test } from 'vitest';
test('adapter', async () => {
  const adapter = await navigator.gpu.requestAdapter();
  expect(adapter).not.toBeNull();
  console.log(JSON.stringify(adapter!.info), adapter!.limits.maxStorageBufferBindingSize, adapter!.limits.maxComputeWorkgroupStorageSize, [...adapter!.features]);
});
