// Token and position embedding. encoderForward overwrites; the backward entry points
// accumulate into parameter gradients, each thread owning its output elements, so the
// sums run in a fixed order without atomics.

override WG_1D: u32 = 64;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;   // (B,T,C)
@group(0) @binding(1) var<storage, read> inp: array<i32>;         // (B,T) token ids
@group(0) @binding(2) var<storage, read> wte: array<f32>;         // (V,C)
@group(0) @binding(3) var<storage, read> wpe: array<f32>;         // (maxT,C)
@group(0) @binding(4) var<uniform> sizes: EncoderSizes;

@compute @workgroup_size(WG_1D)
fn encoderForward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, WG_1D);
  if (i >= sizes.B * sizes.T * sizes.C) { return; }
  let c = i % sizes.C;
  let bt = i / sizes.C;
  let t = bt % sizes.T;
  let token = u32(inp[bt]);
  out[i] = wte[token * sizes.C + c] + wpe[t * sizes.C + c];
}

@group(0) @binding(0) var<storage, read_write> dwte: array<f32>;  // (V,C)
@group(0) @binding(1) var<storage, read> doutWte: array<f32>;     // (B,T,C)
@group(0) @binding(2) var<storage, read> inpWte: array<i32>;      // (B,T)
@group(0) @binding(3) var<uniform> sizesWte: EncoderSizes;
@group(0) @binding(4) var<storage, read> activeLengthsWte: array<u32>; // (B) when sizesWte.skipRows = 1

// dwte[inp[b,t], c] += dout[b,t,c]: one thread per channel c walks all B·T positions
// in order, so repeated tokens add up without races.
@compute @workgroup_size(WG_1D)
fn encoderBackwardWte(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let C = sizesWte.C;
  if (c >= C) { return; }
  let T = sizesWte.T;
  for (var b: u32 = 0u; b < sizesWte.B; b++) {
    var end = T;
    if (sizesWte.skipRows != 0u) { end = activeLengthsWte[b]; }
    for (var t: u32 = 0u; t < end; t++) {
      let bt = b * T + t;
      let token = u32(inpWte[bt]);
      dwte[token * C + c] += doutWte[bt * C + c];
    }
  }
}

@group(0) @binding(0) var<storage, read_write> dwpe: array<f32>;  // (maxT,C)
@group(0) @binding(1) var<storage, read> doutWpe: array<f32>;     // (B,T,C)
@group(0) @binding(2) var<uniform> sizesWpe: EncoderSizes;
@group(0) @binding(3) var<storage, read> activeLengthsWpe: array<u32>; // (B) when sizesWpe.skipRows = 1

// dwpe[t, c] += Σ_b dout[b,t,c], one thread per (t, c).
@compute @workgroup_size(WG_1D)
fn encoderBackwardWpe(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let C = sizesWpe.C;
  let T = sizesWpe.T;
  if (i >= T * C) { return; }
  let t = i / C;
  var sum: f32 = 0.0;
  for (var b: u32 = 0u; b < sizesWpe.B; b++) {
    if (sizesWpe.skipRows != 0u && t >= activeLengthsWpe[b]) { continue; }
    sum += doutWpe[b * T * C + i];
  }
  dwpe[i] += sum;
}
