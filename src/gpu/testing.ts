// Helpers for tests that run kernels on a real WebGPU device and compare them with the
// float64 CPU reference.

import { acquireDevice, type GpuContext } from './device.ts';
import { createStorage, readFloat32, readUint32, uploadStorage, wholeSlice } from './buffers.ts';
import { encodeDispatches, KernelCache, type BufferSlice, type Dispatch } from './kernel.ts';

let shared: Promise<GpuContext> | undefined;

/** Return the test file's one device; runChecked turns its validation errors into test failures. */
export function testDevice(): Promise<GpuContext> {
  shared ??= acquireDevice({ label: 'test.device' });
  return shared;
}

export async function testKernels(): Promise<KernelCache> {
  const { device } = await testDevice();
  return new KernelCache(device);
}

/** Upload float64 values as float32. */
export function uploadF32(device: GPUDevice, label: string, values: ArrayLike<number>): BufferSlice {
  return wholeSlice(uploadStorage(device, label, Float32Array.from(values)));
}

export function uploadI32(device: GPUDevice, label: string, values: ArrayLike<number>): BufferSlice {
  return wholeSlice(uploadStorage(device, label, Int32Array.from(values)));
}

export function uploadU32(device: GPUDevice, label: string, values: ArrayLike<number>): BufferSlice {
  return wholeSlice(uploadStorage(device, label, Uint32Array.from(values)));
}

export function zerosF32(device: GPUDevice, label: string, elements: number): BufferSlice {
  return wholeSlice(createStorage(device, label, elements * 4));
}

/** Encode and submit dispatches, failing on any validation error they raise. */
export async function runChecked(device: GPUDevice, dispatches: Dispatch[]): Promise<void> {
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder({ label: 'test' });
  encodeDispatches(encoder, dispatches, 'test');
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  if (error) throw new Error(`WebGPU validation error: ${error.message}`);
}

export async function readF32(device: GPUDevice, slice: BufferSlice, elements: number): Promise<Float32Array> {
  return (await readFloat32(device, slice)).subarray(0, elements);
}

export async function readU32(device: GPUDevice, slice: BufferSlice, elements: number): Promise<Uint32Array> {
  return (await readUint32(device, slice)).subarray(0, elements);
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

/**
 * Throw unless |gpu − ref| ≤ atol + rtol·|ref| everywhere; the message names the first
 * mismatching index, both values, the largest error and the tolerance.
 */
export function expectClose(name: string, gpu: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance): void {
  if (gpu.length < ref.length) throw new Error(`${name}: GPU result has ${gpu.length} elements, reference ${ref.length}`);
  let firstBad = -1;
  let maxError = 0;
  let maxErrorIndex = 0;
  for (let i = 0; i < ref.length; i++) {
    const error = Math.abs(gpu[i] - ref[i]);
    if (!(error <= tol.atol + tol.rtol * Math.abs(ref[i]))) {
      if (firstBad < 0) firstBad = i;
    }
    if (!(error <= maxError)) {
      maxError = error;
      maxErrorIndex = i;
    }
  }
  if (firstBad >= 0) {
    throw new Error(
      `${name}: mismatch at index ${firstBad}: gpu ${gpu[firstBad]} vs reference ${ref[firstBad]}; ` +
        `max |error| ${maxError} at index ${maxErrorIndex}; tolerance atol ${tol.atol} + rtol ${tol.rtol}·|ref|`,
    );
  }
}

/** Throw unless two arrays are equal element by element (bit-exact comparisons). */
export function expectEqual(name: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`${name}: lengths differ, ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) throw new Error(`${name}: differ at index ${i}: ${a[i]} vs ${b[i]}`);
  }
}
