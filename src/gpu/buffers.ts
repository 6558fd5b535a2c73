// Storage buffers and sub-range slices, and readback for tests and metrics.

import type { BufferSlice } from './kernel.ts';

export const STORAGE_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Byte alignment of every slice offset (WebGPU's largest minStorageBufferOffsetAlignment). */
export const SLICE_ALIGN_BYTES = 256;

export function createStorage(device: GPUDevice, label: string, byteSize: number): GPUBuffer {
  // A zero-sized binding is invalid, so every buffer has at least 16 bytes.
  const size = Math.max(16, Math.ceil(byteSize / 4) * 4);
  return device.createBuffer({ label, size, usage: STORAGE_USAGE });
}

export function wholeSlice(buffer: GPUBuffer): BufferSlice {
  return { buffer, offset: 0, size: buffer.size };
}

/** Slice of float32/u32 elements [elementOffset, elementOffset + elements). */
export function elementSlice(buffer: GPUBuffer, elementOffset: number, elements: number): BufferSlice {
  const offset = elementOffset * 4;
  if (offset % SLICE_ALIGN_BYTES !== 0) {
    throw new Error(`slice of ${buffer.label} at element ${elementOffset} is not ${SLICE_ALIGN_BYTES}-byte aligned`);
  }
  const size = Math.max(4, elements * 4);
  if (offset + size > buffer.size) {
    throw new Error(`slice of ${buffer.label} [${offset}, ${offset + size}) exceeds its ${buffer.size} bytes`);
  }
  return { buffer, offset, size };
}

export function uploadStorage(device: GPUDevice, label: string, data: Float32Array | Uint32Array | Int32Array): GPUBuffer {
  const buffer = createStorage(device, label, data.byteLength);
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/** Copy a slice to a mappable buffer and return its bytes (awaits the GPU: tests and between-step reads only). */
export async function readBytes(device: GPUDevice, slice: BufferSlice | GPUBuffer): Promise<ArrayBuffer> {
  const s = slice instanceof GPUBuffer ? wholeSlice(slice) : slice;
  const staging = device.createBuffer({
    label: `readback.${s.buffer.label}`,
    size: s.size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder({ label: 'readback' });
  encoder.copyBufferToBuffer(s.buffer, s.offset, staging, 0, s.size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return copy;
}

export async function readFloat32(device: GPUDevice, slice: BufferSlice | GPUBuffer): Promise<Float32Array> {
  return new Float32Array(await readBytes(device, slice));
}

export async function readUint32(device: GPUDevice, slice: BufferSlice | GPUBuffer): Promise<Uint32Array> {
  return new Uint32Array(await readBytes(device, slice));
}
