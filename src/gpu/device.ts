// WebGPU adapter and device: request the limits a model needs, say which limit is
// short when the adapter cannot grant it, and route device loss and uncaptured errors
// to a callback instead of the console alone.

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a software or otherwise fallback adapter (SwiftShader here). */
  isFallbackAdapter: boolean;
  features: string[];
}

export interface DeviceRequirements {
  /** Largest single storage binding the model makes, in bytes. */
  maxStorageBufferBindingSize?: number;
  /** Largest buffer the model allocates, in bytes. */
  maxBufferSize?: number;
  /** Storage buffers bound by the widest kernel. */
  maxStorageBuffersPerShaderStage?: number;
}

export interface GpuContext {
  device: GPUDevice;
  adapter: AdapterSummary;
  /** Limits as granted to the device. */
  limits: GPUSupportedLimits;
}

export class WebGpuUnavailableError extends Error {}

/** Error raised when a required limit exceeds what the adapter offers. */
export class LimitError extends Error {
  constructor(
    readonly limit: string,
    readonly needed: number,
    readonly available: number,
    hint: string,
  ) {
    super(`the model needs ${limit} = ${needed}, but this adapter grants at most ${available}; ${hint}`);
  }
}

export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  // isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo; read whichever exists.
  const legacy = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const fromInfo = (info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const architecture = info.architecture ?? '';
  return {
    vendor: info.vendor ?? '',
    architecture,
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: Boolean(fromInfo ?? legacy) || architecture === 'swiftshader',
    features: [...adapter.features].sort(),
  };
}

export interface AcquireOptions {
  requirements?: DeviceRequirements;
  /** Called once when the device is lost (out of memory, driver reset, destroy()). */
  onLost?: (info: GPUDeviceLostInfo) => void;
  /** Called for every uncaptured validation or out-of-memory error. */
  onError?: (error: GPUError) => void;
  label?: string;
  /** Advice on what to lower when a buffer-size requirement is not met, in place of the generic one. */
  limitHint?: string;
}

const LIMIT_HINTS: Record<keyof DeviceRequirements, string> = {
  maxStorageBufferBindingSize:
    'lower the batch size or the context length (the logits buffer is B·T·V floats), or use the character tokenizer',
  maxBufferSize: 'lower the batch size, the context length or the model width',
  maxStorageBuffersPerShaderStage: 'this adapter is below the WebGPU minimum; use another browser or GPU',
};

/** Request an adapter and a device with the limits the requirements need. */
export async function acquireDevice(options: AcquireOptions = {}): Promise<GpuContext> {
  if (typeof navigator === 'undefined' || !navigator.gpu) {
    throw new WebGpuUnavailableError(
      'WebGPU is not available: navigator.gpu is missing. Use a current Chrome, Edge or Firefox ' +
        'on a secure origin (https or localhost); in Chromium without a GPU start with ' +
        '--enable-unsafe-webgpu --use-webgpu-adapter=swiftshader.',
    );
  }
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new WebGpuUnavailableError('WebGPU is present but requestAdapter() returned no adapter.');
  }

  const requiredLimits: Record<string, number> = {
    // Workgroup memory: take what the adapter has (SwiftShader grants 32 KiB, default 16 KiB).
    maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
  };
  const requirements = options.requirements ?? {};
  for (const key of Object.keys(requirements) as (keyof DeviceRequirements)[]) {
    const needed = requirements[key];
    if (needed === undefined) continue;
    const available = adapter.limits[key];
    if (needed > available) {
      const hint = options.limitHint && key !== 'maxStorageBuffersPerShaderStage' ? options.limitHint : LIMIT_HINTS[key];
      throw new LimitError(key, needed, available, hint);
    }
  }

  const features: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) features.push('timestamp-query');
  const device = await adapter.requestDevice({
    label: options.label ?? 'eslm.device',
    requiredLimits,
    requiredFeatures: features,
  });
  device.lost.then((info) => options.onLost?.(info));
  device.addEventListener('uncapturederror', (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    if (options.onError) options.onError(error);
    else console.error(`WebGPU uncaptured error: ${error.message}`);
  });
  return { device, adapter: summarizeAdapter(adapter), limits: device.limits };
}
