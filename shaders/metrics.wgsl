// Per-step statistics written into a ring of metric records on the GPU, read back
// asynchronously every few steps (no readback inside a step). The METRIC_* field
// indices and METRIC_STRIDE come from src/gpu/ops/metrics.ts. Every sum runs over
// contiguous chunks per thread and then over chunks in order, so it is reproducible.

override WG_REDUCE: u32 = 256;

@group(0) @binding(0) var<storage, read_write> ring: array<f32>;     // (slots, METRIC_STRIDE)
@group(0) @binding(1) var<storage, read> losses: array<f32>;         // (M)
@group(0) @binding(2) var<storage, read> entropies: array<f32>;      // (M)
@group(0) @binding(3) var<storage, read> mask: array<u32>;           // (M)
@group(0) @binding(4) var<storage, read> selectStats: array<f32>;    // threshold, kept count, Σ kept scores
@group(0) @binding(5) var<uniform> sizes: LossStatisticsSizes;

var<workgroup> sumLoss: array<f32, WG_REDUCE>;
var<workgroup> sumKeptLoss: array<f32, WG_REDUCE>;
var<workgroup> sumEntropy: array<f32, WG_REDUCE>;
var<workgroup> sumSquares: array<f32, WG_REDUCE>;

@compute @workgroup_size(WG_REDUCE)
fn lossStatistics(@builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.x;
  let M = sizes.M;
  let chunk = (M + WG_REDUCE - 1u) / WG_REDUCE;
  let start = min(tid * chunk, M);
  let end = min(start + chunk, M);

  var loss: f32 = 0.0;
  var keptLoss: f32 = 0.0;
  var entropy: f32 = 0.0;
  var squares: f32 = 0.0;
  for (var i: u32 = start; i < end; i++) {
    loss += losses[i];
    squares += losses[i] * losses[i];
    entropy += entropies[i];
    if (mask[i] != 0u) { keptLoss += losses[i]; }
  }
  sumLoss[tid] = loss;
  sumKeptLoss[tid] = keptLoss;
  sumEntropy[tid] = entropy;
  sumSquares[tid] = squares;
  workgroupBarrier();

  if (tid == 0u) {
    var totalLoss: f32 = 0.0;
    var totalKept: f32 = 0.0;
    var totalEntropy: f32 = 0.0;
    var totalSquares: f32 = 0.0;
    for (var i: u32 = 0u; i < WG_REDUCE; i++) {
      totalLoss += sumLoss[i];
      totalKept += sumKeptLoss[i];
      totalEntropy += sumEntropy[i];
      totalSquares += sumSquares[i];
    }
    let meanLoss = totalLoss / f32(M);
    let base = sizes.slot * METRIC_STRIDE;
    let keptCount = selectStats[1];
    ring[base + METRIC_TRAIN_LOSS] = meanLoss;
    // Population standard deviation of the token losses, E[ℓ²] − E[ℓ]² clamped at 0.
    ring[base + METRIC_LOSS_STD] = sqrt(max(totalSquares / f32(M) - meanLoss * meanLoss, 0.0));
    ring[base + METRIC_SELECTED_LOSS] = totalKept / max(keptCount, 1.0);
    ring[base + METRIC_MEAN_ENTROPY] = totalEntropy / f32(M);
    ring[base + METRIC_THRESHOLD] = selectStats[0];
    ring[base + METRIC_KEPT_COUNT] = keptCount;
  }
}

@group(0) @binding(0) var<storage, read_write> partials: array<f32>; // (workgroups)
@group(0) @binding(1) var<storage, read> grads: array<f32>;          // (P) flat gradients
@group(0) @binding(2) var<uniform> sizesNorm: GradNormSizes;

var<workgroup> gradSquares: array<f32, WG_REDUCE>;

// Partial Σ g² over one block of WG_REDUCE·perThread elements per workgroup.
@compute @workgroup_size(WG_REDUCE)
fn gradNormPartial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.x;
  let blockStart = wid.x * WG_REDUCE * sizesNorm.perThread;
  var acc: f32 = 0.0;
  for (var j: u32 = 0u; j < sizesNorm.perThread; j++) {
    let i = blockStart + j * WG_REDUCE + tid;
    if (i < sizesNorm.P) {
      let g = grads[i];
      acc += g * g;
    }
  }
  gradSquares[tid] = acc;
  workgroupBarrier();
  for (var stride: u32 = WG_REDUCE / 2u; stride > 0u; stride /= 2u) {
    if (tid < stride) { gradSquares[tid] += gradSquares[tid + stride]; }
    workgroupBarrier();
  }
  if (tid == 0u) { partials[wid.x] = gradSquares[0]; }
}

@group(0) @binding(0) var<storage, read_write> normStats: array<f32>; // norm, clip scale
@group(0) @binding(1) var<storage, read_write> ringNorm: array<f32>;  // (slots, METRIC_STRIDE)
@group(0) @binding(2) var<storage, read> partialsIn: array<f32>;      // (workgroups)
@group(0) @binding(3) var<uniform> sizesFinal: GradNormSizes;

// norm = √Σ partials; clip scale = maxNorm/(norm + 1e-6) when maxNorm > 0 and
// norm > maxNorm, else 1 (the CPU reference's clipScale).
@compute @workgroup_size(1)
fn gradNormFinal() {
  var total: f32 = 0.0;
  for (var i: u32 = 0u; i < sizesFinal.partialCount; i++) { total += partialsIn[i]; }
  let norm = sqrt(total);
  var scale: f32 = 1.0;
  if (sizesFinal.maxNorm > 0.0 && norm > sizesFinal.maxNorm) { scale = sizesFinal.maxNorm / (norm + 1e-6); }
  normStats[0] = norm;
  normStats[1] = scale;
  let base = sizesFinal.slot * METRIC_STRIDE;
  ringNorm[base + METRIC_GRAD_NORM] = norm;
  ringNorm[base + METRIC_CLIP_SCALE] = scale;
}

@group(0) @binding(0) var<storage, read_write> activeLengths: array<u32>; // (B)
@group(0) @binding(1) var<storage, read_write> ringActive: array<f32>;    // (slots, METRIC_STRIDE)
@group(0) @binding(2) var<storage, read> maskActive: array<u32>;         // (B,T), 1 = kept
@group(0) @binding(3) var<uniform> sizesActive: ActiveLengthSizes;

var<workgroup> partialRows: array<u32, WG_REDUCE>;
var<workgroup> partialPairs: array<u32, WG_REDUCE>;

// activeLengths[b] = 1 + the position of sequence b's last kept token (0 when none):
// later positions get no gradient in any layer, because only later tokens attend to
// them. The ring records Σ_b length (active rows) and Σ_b length·(length + 1)/2 (active
// causal pairs) as u32 bit patterns, for the executed FLOPs.
@compute @workgroup_size(WG_REDUCE)
fn activeLengthsForward(@builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.x;
  let T = sizesActive.T;
  var rows: u32 = 0u;
  var pairs: u32 = 0u;
  for (var b: u32 = tid; b < sizesActive.B; b += WG_REDUCE) {
    var length: u32 = 0u;
    for (var t: u32 = T; t > 0u; t--) {
      if (maskActive[b * T + t - 1u] != 0u) {
        length = t;
        break;
      }
    }
    activeLengths[b] = length;
    rows += length;
    pairs += length * (length + 1u) / 2u;
  }
  partialRows[tid] = rows;
  partialPairs[tid] = pairs;
  workgroupBarrier();

  if (tid == 0u) {
    var totalRows: u32 = 0u;
    var totalPairs: u32 = 0u;
    for (var i: u32 = 0u; i < WG_REDUCE; i++) {
      totalRows += partialRows[i];
      totalPairs += partialPairs[i];
    }
    let base = sizesActive.slot * METRIC_STRIDE;
    ringActive[base + METRIC_ACTIVE_ROWS] = bitcast<f32>(totalRows);
    ringActive[base + METRIC_ACTIVE_PAIRS] = bitcast<f32>(totalPairs);
  }
}
