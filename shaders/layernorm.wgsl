// LayerNorm over the last dimension C of N rows. layernormForward overwrites out, mean
// and rstd; the backward entry points accumulate into dinp, dweight and dbias.
// One thread per row (forward, input gradient) or per channel (parameter gradients),
// so every sum runs sequentially in a fixed order.

override WG_1D: u32 = 64;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;   // (N,C)
@group(0) @binding(1) var<storage, read_write> mean: array<f32>;  // (N)
@group(0) @binding(2) var<storage, read_write> rstd: array<f32>;  // (N)
@group(0) @binding(3) var<storage, read> inp: array<f32>;         // (N,C)
@group(0) @binding(4) var<storage, read> weight: array<f32>;      // (C)
@group(0) @binding(5) var<storage, read> bias: array<f32>;        // (C)
@group(0) @binding(6) var<uniform> sizes: LayernormSizes;

@compute @workgroup_size(WG_1D)
fn layernormForward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = flatIndex(gid, nwg, WG_1D);
  if (row >= sizes.N) { return; }
  let C = sizes.C;
  let base = row * C;

  // Mean, then the biased variance in a second pass (more accurate than E[x²] − E[x]²).
  var sum: f32 = 0.0;
  for (var c: u32 = 0u; c < C; c++) { sum += inp[base + c]; }
  let m = sum / f32(C);
  var sumSq: f32 = 0.0;
  for (var c: u32 = 0u; c < C; c++) {
    let d = inp[base + c] - m;
    sumSq += d * d;
  }
  let s = 1.0 / sqrt(sumSq / f32(C) + sizes.eps);

  for (var c: u32 = 0u; c < C; c++) {
    out[base + c] = (inp[base + c] - m) * s * weight[c] + bias[c];
  }
  mean[row] = m;
  rstd[row] = s;
}

@group(0) @binding(0) var<storage, read_write> dinp: array<f32>;  // (N,C)
@group(0) @binding(1) var<storage, read> doutIn: array<f32>;      // (N,C)
@group(0) @binding(2) var<storage, read> inpIn: array<f32>;       // (N,C)
@group(0) @binding(3) var<storage, read> weightIn: array<f32>;    // (C)
@group(0) @binding(4) var<storage, read> meanIn: array<f32>;      // (N)
@group(0) @binding(5) var<storage, read> rstdIn: array<f32>;      // (N)
@group(0) @binding(6) var<uniform> sizesIn: LayernormSizes;
@group(0) @binding(7) var<storage, read> activeLengthsIn: array<u32>; // (B) when sizesIn.skipT > 0

// With n = (x − mean)·rstd and g = w·dout:
// dx = rstd·(g − mean_c(g) − n·mean_c(g·n)).
@compute @workgroup_size(WG_1D)
fn layernormBackwardInput(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = flatIndex(gid, nwg, WG_1D);
  if (row >= sizesIn.N) { return; }
  // A row after its sequence's last kept token has zero dout: dinp stays as it is.
  if (sizesIn.skipT != 0u && (row % sizesIn.skipT) >= activeLengthsIn[row / sizesIn.skipT]) { return; }
  let C = sizesIn.C;
  let base = row * C;
  let m = meanIn[row];
  let s = rstdIn[row];

  var gMean: f32 = 0.0;
  var gnMean: f32 = 0.0;
  for (var c: u32 = 0u; c < C; c++) {
    let n = (inpIn[base + c] - m) * s;
    let g = weightIn[c] * doutIn[base + c];
    gMean += g;
    gnMean += g * n;
  }
  gMean = gMean / f32(C);
  gnMean = gnMean / f32(C);

  for (var c: u32 = 0u; c < C; c++) {
    let n = (inpIn[base + c] - m) * s;
    let g = weightIn[c] * doutIn[base + c];
    dinp[base + c] += s * (g - gMean - n * gnMean);
  }
}

@group(0) @binding(0) var<storage, read_write> dweight: array<f32>; // (C)
@group(0) @binding(1) var<storage, read_write> dbias: array<f32>;   // (C)
@group(0) @binding(2) var<storage, read> doutPar: array<f32>;       // (N,C)
@group(0) @binding(3) var<storage, read> inpPar: array<f32>;        // (N,C)
@group(0) @binding(4) var<storage, read> meanPar: array<f32>;       // (N)
@group(0) @binding(5) var<storage, read> rstdPar: array<f32>;       // (N)
@group(0) @binding(6) var<uniform> sizesPar: LayernormSizes;
@group(0) @binding(7) var<storage, read> activeLengthsPar: array<u32>; // (B) when sizesPar.skipT > 0

// dweight[c] += Σ_rows n·dout, dbias[c] += Σ_rows dout; one thread per channel, each
// sequence's rows cut at its active length when skipT > 0.
@compute @workgroup_size(WG_1D)
fn layernormBackwardParams(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let C = sizesPar.C;
  if (c >= C) { return; }
  let segmented = sizesPar.skipT != 0u;
  let segmentLength = select(sizesPar.N, sizesPar.skipT, segmented);
  let segments = select(1u, sizesPar.N / max(sizesPar.skipT, 1u), segmented);
  var sumW: f32 = 0.0;
  var sumB: f32 = 0.0;
  for (var s: u32 = 0u; s < segments; s++) {
    let start = s * segmentLength;
    var end = start + segmentLength;
    if (segmented) { end = start + activeLengthsPar[s]; }
    for (var row: u32 = start; row < end; row++) {
      let g = doutPar[row * C + c];
      let n = (inpPar[row * C + c] - meanPar[row]) * rstdPar[row];
      sumW += n * g;
      sumB += g;
    }
  }
  dweight[c] += sumW;
  dbias[c] += sumB;
}
