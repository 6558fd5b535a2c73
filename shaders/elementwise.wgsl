// GELU (tanh form, as GPT-2) and the residual add. Forward entry points overwrite;
// backward entry points accumulate into dinp.

override WG_1D: u32 = 64;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;   // (N)
@group(0) @binding(1) var<storage, read> inp: array<f32>;         // (N)
@group(0) @binding(2) var<uniform> sizes: ElementwiseSizes;

// gelu(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
@compute @workgroup_size(WG_1D)
fn geluForward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, WG_1D);
  if (i >= sizes.N) { return; }
  let x = inp[i];
  let cube = 0.044715 * x * x * x;
  out[i] = 0.5 * x * (1.0 + tanh(GELU_SCALING * (x + cube)));
}

@group(0) @binding(0) var<storage, read_write> dinp: array<f32>;  // (N)
@group(0) @binding(1) var<storage, read> inpGelu: array<f32>;     // (N)
@group(0) @binding(2) var<storage, read> dout: array<f32>;        // (N)
@group(0) @binding(3) var<uniform> sizesGelu: ElementwiseSizes;
@group(0) @binding(4) var<storage, read> activeLengthsGelu: array<u32>; // (B) when sizesGelu.skipT > 0

// d gelu/dx = 0.5·(1 + tanh u) + 0.5·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²),
// with u = √(2/π)·(x + 0.044715·x³).
@compute @workgroup_size(WG_1D)
fn geluBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, WG_1D);
  if (i >= sizesGelu.N) { return; }
  // Element i is in row i / rowWidth; a row after its sequence's last kept token has zero dout.
  if (sizesGelu.skipT != 0u) {
    let row = i / sizesGelu.rowWidth;
    if ((row % sizesGelu.skipT) >= activeLengthsGelu[row / sizesGelu.skipT]) { return; }
  }
  let x = inpGelu[i];
  let u = GELU_SCALING * (x + 0.044715 * x * x * x);
  let tanhU = tanh(u);
  let sech2 = 1.0 - tanhU * tanhU;
  let grad = 0.5 * (1.0 + tanhU) + 0.5 * x * sech2 * GELU_SCALING * (1.0 + 3.0 * 0.044715 * x * x);
  dinp[i] += grad * dout[i];
}

@group(0) @binding(0) var<storage, read_write> outSum: array<f32>; // (N)
@group(0) @binding(1) var<storage, read> inp1: array<f32>;         // (N)
@group(0) @binding(2) var<storage, read> inp2: array<f32>;         // (N)
@group(0) @binding(3) var<uniform> sizesResidual: ElementwiseSizes;

@compute @workgroup_size(WG_1D)
fn residualForward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, WG_1D);
  if (i >= sizesResidual.N) { return; }
  outSum[i] = inp1[i] + inp2[i];
}

@group(0) @binding(0) var<storage, read_write> dinp1: array<f32>;  // (N)
@group(0) @binding(1) var<storage, read_write> dinp2: array<f32>;  // (N)
@group(0) @binding(2) var<storage, read> doutResidual: array<f32>; // (N)
@group(0) @binding(3) var<uniform> sizesResidualBackward: ElementwiseSizes;

// out = inp1 + inp2, so both inputs receive dout unchanged.
@compute @workgroup_size(WG_1D)
fn residualBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, WG_1D);
  if (i >= sizesResidualBackward.N) { return; }
  let g = doutResidual[i];
  dinp1[i] += g;
  dinp2[i] += g;
}

@group(0) @binding(0) var<storage, read_write> outDiff: array<f32>; // (N)
@group(0) @binding(1) var<storage, read> minuend: array<f32>;       // (N)
@group(0) @binding(2) var<storage, read> subtrahend: array<f32>;    // (N)
@group(0) @binding(3) var<uniform> sizesDifference: ElementwiseSizes;

// out = inp1 − inp2: Rho-1's excess loss, the student's token loss minus the reference model's.
@compute @workgroup_size(WG_1D)
fn differenceForward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, WG_1D);
  if (i >= sizesDifference.N) { return; }
  outDiff[i] = minuend[i] - subtrahend[i];
}
