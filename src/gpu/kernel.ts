// Compute pipelines and dispatches. A kernel is one WGSL entry point of one op-family
// module (shaders/NAME.wgsl, with shaders/common.wgsl prepended); pipelines are cached
// under a key naming the module, the entry point and every override constant. A
// Dispatch is a pipeline with its bind group and workgroup count, built once per model
// config and encoded every step.

import commonWgsl from '../../shaders/common.wgsl?raw';
import type { UniformLayout } from './uniforms.ts';
import { WG_1D, WG_MATMUL, WG_REDUCE } from './workgroups.ts';

export interface BufferSlice {
  buffer: GPUBuffer;
  /** Byte offset, a multiple of minStorageBufferOffsetAlignment (256). */
  offset: number;
  /** Byte size. */
  size: number;
}

export interface KernelModule {
  /** Family name, also the WGSL file's name: 'matmul', 'layernorm', ... */
  name: string;
  source: string;
  /** Uniform structs the module uses; their WGSL declarations are generated and prepended. */
  uniforms: readonly UniformLayout<string>[];
  /** Generated WGSL constants (field indices shared with TypeScript), prepended too. */
  prelude?: string;
}

export interface Dispatch {
  /** `family.entryPoint`, plus a suffix naming the tensor it works on. */
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
  /** Floating-point operations this dispatch performs for its real shapes. */
  flops: number;
  /**
   * For kernels whose work scales with the kept-token count k (set per step): FLOPs per
   * kept row, on top of `flops`. Executed FLOPs are flops + flopsPerKeptRow·k.
   */
  flopsPerKeptRow?: number;
  /**
   * For kernels that skip positions after each sequence's last kept token: FLOPs per
   * active row (a position at or before its sequence's last kept token), on top of `flops`.
   */
  flopsPerActiveRow?: number;
  /** For attention kernels that skip those positions: FLOPs per active causal (query, key) pair. */
  flopsPerActivePair?: number;
}

/** Counts that make a step's executed FLOPs: kept rows, and active rows and causal pairs. */
export interface RowCounts {
  kept: number;
  activeRows: number;
  activePairs: number;
}

/** Override constants every module may declare; each is set only where a module uses it. */
const SHARED_CONSTANTS: Record<string, number> = {
  WG_1D,
  WG_REDUCE,
  WG_MATMUL,
};

export class KernelCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly uniformBuffers: GPUBuffer[] = [];
  /** A small storage buffer bound where a kernel's optional input is not used. */
  readonly placeholder: GPUBuffer;

  constructor(readonly device: GPUDevice) {
    this.placeholder = device.createBuffer({ label: 'kernels.placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
  }

  private shaderModule(module: KernelModule): GPUShaderModule {
    let shader = this.modules.get(module.name);
    if (!shader) {
      shader = this.device.createShaderModule({
        label: `shader.${module.name}`,
        code: [commonWgsl, ...module.uniforms.map((u) => u.wgsl()), module.prelude ?? '', module.source].join('\n'),
      });
      this.modules.set(module.name, shader);
    }
    return shader;
  }

  pipeline(module: KernelModule, entryPoint: string, constants: Record<string, number> = {}): GPUComputePipeline {
    const used: Record<string, number> = {};
    for (const [key, value] of Object.entries(SHARED_CONSTANTS)) {
      if (new RegExp(`\\boverride\\s+${key}\\b`).test(module.source)) used[key] = value;
    }
    Object.assign(used, constants);
    const key = `${module.name}.${entryPoint}(${Object.entries(used).map(([k, v]) => `${k}=${v}`).join(',')})`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline({
        label: `pipeline.${key}`,
        layout: 'auto',
        compute: { module: this.shaderModule(module), entryPoint, constants: used },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** Create a small uniform buffer with `data`, owned by the cache. */
  uniform(label: string, data: ArrayBuffer): GPUBuffer {
    const buffer = this.device.createBuffer({
      label: `uniform.${label}`,
      size: data.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(buffer, 0, data);
    this.uniformBuffers.push(buffer);
    return buffer;
  }

  /**
   * Build a dispatch. `resources` are in binding order (binding i of group 0 gets
   * resources[i]); a GPUBuffer means the whole buffer.
   */
  dispatch(
    module: KernelModule,
    entryPoint: string,
    resources: (BufferSlice | GPUBuffer)[],
    workgroups: [number, number, number],
    flops: number,
    options: { constants?: Record<string, number>; labelSuffix?: string } = {},
  ): Dispatch {
    const pipeline = this.pipeline(module, entryPoint, options.constants);
    const label = `${module.name}.${entryPoint}${options.labelSuffix ? `.${options.labelSuffix}` : ''}`;
    const bindGroup = this.device.createBindGroup({
      label: `bindGroup.${label}`,
      layout: pipeline.getBindGroupLayout(0),
      entries: resources.map((resource, binding) =>
        resource instanceof GPUBuffer
          ? { binding, resource: { buffer: resource } }
          : { binding, resource: { buffer: resource.buffer, offset: resource.offset, size: resource.size } },
      ),
    });
    return { label, pipeline, bindGroup, workgroups, flops };
  }

  destroy(): void {
    for (const buffer of this.uniformBuffers) buffer.destroy();
    this.uniformBuffers.length = 0;
    this.placeholder.destroy();
  }
}

/** Encode dispatches into one compute pass, in order. */
export function encodeDispatches(encoder: GPUCommandEncoder, dispatches: readonly Dispatch[], label: string): void {
  const pass = encoder.beginComputePass({ label });
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
  pass.end();
}

/**
 * Sum of the FLOPs of a list of dispatches, for k kept rows in this step (a number), or
 * for kept rows, active rows and active causal pairs.
 */
export function sumFlops(dispatches: readonly Dispatch[], counts: number | RowCounts = 0): number {
  const { kept, activeRows, activePairs } = typeof counts === 'number' ? { kept: counts, activeRows: 0, activePairs: 0 } : counts;
  let total = 0;
  for (const d of dispatches) {
    total += d.flops + (d.flopsPerKeptRow ?? 0) * kept + (d.flopsPerActiveRow ?? 0) * activeRows + (d.flopsPerActivePair ?? 0) * activePairs;
  }
  return total;
}

/** Re-express a dispatch sized for maxRows rows as fixed FLOPs plus FLOPs per active row. */
export function perActiveRow(d: Dispatch, maxRows: number, fixedFlops = 0): Dispatch {
  return { ...d, flops: fixedFlops, flopsPerActiveRow: (d.flops - fixedFlops) / maxRows };
}

/** Re-express a dispatch sized for maxRows kept rows as fixed FLOPs plus FLOPs per kept row. */
export function perKeptRow(d: Dispatch, maxRows: number, fixedFlops = 0): Dispatch {
  return { ...d, flops: fixedFlops, flopsPerKeptRow: (d.flops - fixedFlops) / maxRows };
}
