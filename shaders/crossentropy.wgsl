// Fused softmax and cross-entropy over the vocabulary. crossentropyForward writes the
// per-token loss ℓ = −log p[target] and entropy H = −Σ p log p, plus the row's max and
// log-sum-exp so the backward can rebuild p without storing probabilities.
// crossentropyBackward overwrites the logits in place with
// dlogits = (mask/k)·(p − onehot(target)).

override WG_1D: u32 = 64;

@group(0) @binding(0) var<storage, read_write> losses: array<f32>;    // (M)
@group(0) @binding(1) var<storage, read_write> entropies: array<f32>; // (M)
@group(0) @binding(2) var<storage, read_write> rowStats: array<f32>;  // (M,2): max, log Σ exp(z − max)
@group(0) @binding(3) var<storage, read> logits: array<f32>;          // (M,V)
@group(0) @binding(4) var<storage, read> targets: array<i32>;         // (M)
@group(0) @binding(5) var<uniform> sizes: CrossentropySizes;

var<workgroup> partialMax: array<f32, WG_1D>;
var<workgroup> partialSum: array<f32, WG_1D>;
var<workgroup> partialDot: array<f32, WG_1D>;

// One workgroup per row. Each thread strides over the vocabulary; tree reductions in
// workgroup memory combine the threads in a fixed order, so results are reproducible.
@compute @workgroup_size(WG_1D)
fn crossentropyForward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let row = flatWorkgroup(wid, nwg);
  let tid = lid.x;
  // row is uniform across the workgroup, so this early return keeps barriers uniform.
  if (row >= sizes.M) { return; }
  let V = sizes.V;
  let base = row * V;

  // Phase 1: row maximum.
  var localMax: f32 = -3.0e38;
  for (var v: u32 = tid; v < V; v += WG_1D) { localMax = max(localMax, logits[base + v]); }
  partialMax[tid] = localMax;
  workgroupBarrier();
  for (var stride: u32 = WG_1D / 2u; stride > 0u; stride /= 2u) {
    if (tid < stride) { partialMax[tid] = max(partialMax[tid], partialMax[tid + stride]); }
    workgroupBarrier();
  }
  let rowMax = partialMax[0];

  // Phase 2: S = Σ exp(z − max) and D = Σ exp(z − max)·(z − max).
  var localSum: f32 = 0.0;
  var localDot: f32 = 0.0;
  for (var v: u32 = tid; v < V; v += WG_1D) {
    let shifted = logits[base + v] - rowMax;
    let e = exp(shifted);
    localSum += e;
    localDot += e * shifted;
  }
  partialSum[tid] = localSum;
  partialDot[tid] = localDot;
  workgroupBarrier();
  for (var stride: u32 = WG_1D / 2u; stride > 0u; stride /= 2u) {
    if (tid < stride) {
      partialSum[tid] += partialSum[tid + stride];
      partialDot[tid] += partialDot[tid + stride];
    }
    workgroupBarrier();
  }

  // Phase 3: ℓ = log S − (z_target − max); H = log S − D/S.
  if (tid == 0u) {
    let logSum = log(partialSum[0]);
    let targetIndex = u32(targets[row]);
    losses[row] = logSum - (logits[base + targetIndex] - rowMax);
    entropies[row] = logSum - partialDot[0] / partialSum[0];
    rowStats[2u * row] = rowMax;
    rowStats[2u * row + 1u] = logSum;
  }
}

@group(0) @binding(0) var<storage, read_write> dlogits: array<f32>;   // (M,V), holds the logits on entry
@group(0) @binding(1) var<storage, read> rowStatsB: array<f32>;       // (M,2)
@group(0) @binding(2) var<storage, read> targetsB: array<i32>;        // (M)
@group(0) @binding(3) var<storage, read> mask: array<u32>;            // (M), 1 = kept
@group(0) @binding(4) var<uniform> sizesB: CrossentropySizes;

// dL/dz for L = (1/k)·Σ_j mask_j·ℓ_j: (mask_j/k)·(p_j − onehot(target_j)).
@compute @workgroup_size(WG_1D)
fn crossentropyBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = flatIndex(gid, nwg, WG_1D);
  let V = sizesB.V;
  if (index >= sizesB.M * V) { return; }
  let row = index / V;
  let v = index % V;
  if (mask[row] == 0u) {
    dlogits[index] = 0.0;
    return;
  }
  let p = exp(dlogits[index] - rowStatsB[2u * row] - rowStatsB[2u * row + 1u]);
  var indicator: f32 = 0.0;
  if (v == u32(targetsB[row])) { indicator = 1.0; }
  dlogits[index] = (p - indicator) * sizesB.invKept;
}

@group(0) @binding(0) var<storage, read_write> dlogitsKept: array<f32>; // (k,V) rows of the kept tokens
@group(0) @binding(1) var<storage, read> logitsK: array<f32>;           // (M,V)
@group(0) @binding(2) var<storage, read> rowStatsK: array<f32>;         // (M,2)
@group(0) @binding(3) var<storage, read> targetsK: array<i32>;          // (M)
@group(0) @binding(4) var<storage, read> keptIndices: array<u32>;       // (≥ k) kept token of each row
@group(0) @binding(5) var<uniform> sizesK: CrossentropySizes;

// The same gradient as crossentropyBackward, for the kept rows only, written compactly:
// row r is token keptIndices[r]. sizesK.M holds k here; the dispatch covers the largest k.
@compute @workgroup_size(WG_1D)
fn crossentropyBackwardKept(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = flatIndex(gid, nwg, WG_1D);
  let V = sizesK.V;
  if (index >= sizesK.M * V) { return; }
  let r = index / V;
  let v = index % V;
  let row = keptIndices[r];
  let p = exp(logitsK[row * V + v] - rowStatsK[2u * row] - rowStatsK[2u * row + 1u]);
  var indicator: f32 = 0.0;
  if (v == u32(targetsK[row])) { indicator = 1.0; }
  dlogitsKept[index] = (p - indicator) * sizesK.invKept;
}
