// out (M,N) = op(A)·op(B) [+ bias] [+ out], the one matrix multiply behind every linear
// layer's forward and backward. op(A) is A stored (M,K), or (K,M) when TRANS_A; op(B) is
// B stored (K,N), or (N,K) when TRANS_B. ACCUMULATE adds to out (parameter and input
// gradients); otherwise out is overwritten.
//
// Each thread computes a 4×4 block of out with four vec4 accumulators, reading A and B
// straight from storage: no workgroup memory and no barriers, which suits a CPU-backed
// adapter (barriers are expensive in SwiftShader). Loads clamp their row and column so
// edge threads read valid memory; stores are bounds-checked.

override WG_MATMUL: u32 = 8;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;  // (M,N)
@group(0) @binding(1) var<storage, read> a: array<f32>;          // (M,K) or (K,M)
@group(0) @binding(2) var<storage, read> b: array<f32>;          // (K,N) or (N,K)
@group(0) @binding(3) var<storage, read> bias: array<f32>;       // (N), read only when HAS_BIAS
@group(0) @binding(4) var<uniform> sizes: MatmulSizes;
@group(0) @binding(5) var<storage, read> activeLengths: array<u32>; // (B) rows kept per sequence when sizes.skipT > 0

// With skipT > 0, row r of a (B·T)-row operand is position r % T of sequence r / T, and
// rows at or after that sequence's active length hold zero gradient, so they are skipped.
fn rowActive(row: u32) -> bool {
  if (sizes.skipT == 0u) { return true; }
  return (row % sizes.skipT) < activeLengths[row / sizes.skipT];
}

fn loadA(row: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[k * sizes.M + row]; }
  return a[row * sizes.K + k];
}

fn loadB(k: u32, col: u32) -> f32 {
  if (TRANS_B) { return b[col * sizes.K + k]; }
  return b[k * sizes.N + col];
}

fn storeRow(row: u32, col0: u32, value: vec4<f32>) {
  if (row >= sizes.M) { return; }
  for (var j: u32 = 0u; j < 4u; j++) {
    let col = col0 + j;
    if (col < sizes.N) {
      var v = value[j];
      if (HAS_BIAS) { v += bias[col]; }
      let index = row * sizes.N + col;
      if (ACCUMULATE) { v += out[index]; }
      out[index] = v;
    }
  }
}

@compute @workgroup_size(WG_MATMUL, WG_MATMUL)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col0 = gid.x * 4u;
  let row0 = gid.y * 4u;
  if (row0 >= sizes.M || col0 >= sizes.N) { return; }
  // Output rows are token positions: a block of inactive rows keeps its (zero) value.
  if (!TRANS_A && sizes.skipT != 0u) {
    var anyActive = false;
    for (var i: u32 = 0u; i < 4u; i++) {
      if (row0 + i < sizes.M && rowActive(row0 + i)) { anyActive = true; }
    }
    if (!anyActive) { return; }
  }

  // Clamped indices keep edge loads in bounds; their results are never stored.
  let lastRow = sizes.M - 1u;
  let lastCol = sizes.N - 1u;
  let r0 = row0;
  let r1 = min(row0 + 1u, lastRow);
  let r2 = min(row0 + 2u, lastRow);
  let r3 = min(row0 + 3u, lastRow);
  let c0 = col0;
  let c1 = min(col0 + 1u, lastCol);
  let c2 = min(col0 + 2u, lastCol);
  let c3 = min(col0 + 3u, lastCol);

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  // The reduction runs over segments: one of length K, or with TRANS_A and skipT > 0 one
  // per sequence, cut at its active length (the reduced rows are token positions).
  let segmented = TRANS_A && sizes.skipT != 0u;
  let segmentLength = select(sizes.K, sizes.skipT, segmented);
  let segments = select(1u, sizes.K / max(sizes.skipT, 1u), segmented);
  for (var s: u32 = 0u; s < segments; s++) {
    let start = s * segmentLength;
    var end = start + segmentLength;
    if (segmented) { end = start + activeLengths[s]; }
    for (var k: u32 = start; k < end; k++) {
      let bk = vec4<f32>(loadB(k, c0), loadB(k, c1), loadB(k, c2), loadB(k, c3));
      acc0 += loadA(r0, k) * bk;
      acc1 += loadA(r1, k) * bk;
      acc2 += loadA(r2, k) * bk;
      acc3 += loadA(r3, k) * bk;
    }
  }

  storeRow(row0, col0, acc0);
  storeRow(row0 + 1u, col0, acc1);
  storeRow(row0 + 2u, col0, acc2);
  storeRow(row0 + 3u, col0, acc3);
}

@group(0) @binding(0) var<storage, read_write> dbias: array<f32>; // (N)
@group(0) @binding(1) var<storage, read> dout: array<f32>;        // (M,N)
@group(0) @binding(2) var<uniform> sizesBias: MatmulSizes;
@group(0) @binding(3) var<storage, read> activeLengthsBias: array<u32>; // (B) when sizesBias.skipT > 0

// dbias[n] += Σ_rows dout[row, n]; one thread per column, rows in order, each sequence's
// rows cut at its active length when skipT > 0.
@compute @workgroup_size(WG_MATMUL * WG_MATMUL)
fn matmulBackwardBias(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x;
  let N = sizesBias.N;
  if (col >= N) { return; }
  let segmented = sizesBias.skipT != 0u;
  let segmentLength = select(sizesBias.M, sizesBias.skipT, segmented);
  let segments = select(1u, sizesBias.M / max(sizesBias.skipT, 1u), segmented);
  var sum: f32 = 0.0;
  for (var s: u32 = 0u; s < segments; s++) {
    let start = s * segmentLength;
    var end = start + segmentLength;
    if (segmented) { end = start + activeLengthsBias[s]; }
    for (var row: u32 = start; row < end; row++) {
      sum += dout[row * N + col];
    }
  }
  dbias[col] += sum;
}
