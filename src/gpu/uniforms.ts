// Uniform structs described once by field name and packed by name, with a size check.
// Every field is 4 bytes (u32, i32 or f32) and fields follow WGSL's order, so the byte
// layout is the declaration order with the struct padded to 16 bytes.

export type ScalarType = 'u32' | 'i32' | 'f32';

export class UniformLayout<Field extends string> {
  readonly byteSize: number;
  private readonly index: Map<Field, number>;

  constructor(
    readonly name: string,
    readonly fields: readonly (readonly [Field, ScalarType])[],
    /** Values of fields a caller may leave out. */
    readonly defaults: Partial<Record<Field, number>> = {},
  ) {
    this.index = new Map(fields.map(([field], i) => [field, i]));
    this.byteSize = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  }

  /** WGSL declaration of the struct, so the shader and the packer share one description. */
  wgsl(): string {
    const body = this.fields.map(([field, type]) => `  ${field}: ${type},`).join('\n');
    return `struct ${this.name} {\n${body}\n}\n`;
  }

  /** Pack values by field name; every field without a default must be given, and integers must be integers. */
  pack(values: Partial<Record<Field, number>>): ArrayBuffer {
    const buffer = new ArrayBuffer(this.byteSize);
    const view = new DataView(buffer);
    for (const [field, type] of this.fields) {
      const value = values[field] ?? this.defaults[field];
      if (value === undefined || Number.isNaN(value)) {
        throw new Error(`uniform ${this.name}.${field} is missing or NaN`);
      }
      const byteOffset = this.index.get(field)! * 4;
      if (type === 'f32') {
        view.setFloat32(byteOffset, value, true);
      } else {
        if (!Number.isInteger(value)) throw new Error(`uniform ${this.name}.${field} must be an integer, got ${value}`);
        if (type === 'u32') view.setUint32(byteOffset, value, true);
        else view.setInt32(byteOffset, value, true);
      }
    }
    return buffer;
  }
}
