// Knowledge-distillation loss of ESLM-KD at temperature τ. distillForward writes, per
// token, KL_j = KL(softmax(u/τ) ‖ softmax(z/τ)) of the teacher logits u against the
// student logits z, plus each softmax's max and log-sum-exp so the backward can rebuild
// both probability rows. distillBackward overwrites the student logits in place with
// the gradient of L = (1/k)·Σ_j mask_j·[(1 − λ)·ℓ_j + λ·τ²·KL_j], where ℓ_j is the
// cross-entropy whose row statistics crossentropyForward wrote.

override WG_1D: u32 = 64;

@group(0) @binding(0) var<storage, read_write> kl: array<f32>;           // (M)
@group(0) @binding(1) var<storage, read_write> distillStats: array<f32>; // (M,4): see distillForward
@group(0) @binding(2) var<storage, read> logits: array<f32>;             // (M,V), student
@group(0) @binding(3) var<storage, read> teacherLogits: array<f32>;      // (M,V)
@group(0) @binding(4) var<uniform> sizes: DistillSizes;

var<workgroup> partialStudentMax: array<f32, WG_1D>;
var<workgroup> partialTeacherMax: array<f32, WG_1D>;
var<workgroup> partialStudentSum: array<f32, WG_1D>;
var<workgroup> partialTeacherSum: array<f32, WG_1D>;
var<workgroup> partialCross: array<f32, WG_1D>;

// One workgroup per row. Each thread strides over the vocabulary; tree reductions in
// workgroup memory combine the threads in a fixed order, so results are reproducible.
// With s = z/τ − max(z/τ) and t = u/τ − max(u/τ), both ≤ 0:
//   log p_S = s − log Σ exp(s),  log p_T = t − log Σ exp(t),
//   KL = Σ p_T·(t − s) − log Σ exp(t) + log Σ exp(s)   (because Σ p_T = 1).
// distillStats[row] = [max(z/τ), log Σ exp(s), max(u/τ), log Σ exp(t)].
@compute @workgroup_size(WG_1D)
fn distillForward(
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
  let invTemperature = sizes.invTemperature;

  // Phase 1: row maxima of z and u. Because τ > 0, max(z/τ) = max(z)/τ.
  var localStudentMax: f32 = -3.0e38;
  var localTeacherMax: f32 = -3.0e38;
  for (var v: u32 = tid; v < V; v += WG_1D) {
    localStudentMax = max(localStudentMax, logits[base + v]);
    localTeacherMax = max(localTeacherMax, teacherLogits[base + v]);
  }
  partialStudentMax[tid] = localStudentMax;
  partialTeacherMax[tid] = localTeacherMax;
  workgroupBarrier();
  for (var stride: u32 = WG_1D / 2u; stride > 0u; stride /= 2u) {
    if (tid < stride) {
      partialStudentMax[tid] = max(partialStudentMax[tid], partialStudentMax[tid + stride]);
      partialTeacherMax[tid] = max(partialTeacherMax[tid], partialTeacherMax[tid + stride]);
    }
    workgroupBarrier();
  }
  let studentMax = partialStudentMax[0] * invTemperature;
  let teacherMax = partialTeacherMax[0] * invTemperature;

  // Phase 2: Σ exp(s), Σ exp(t) and Σ exp(t)·(t − s).
  var localStudentSum: f32 = 0.0;
  var localTeacherSum: f32 = 0.0;
  var localCross: f32 = 0.0;
  for (var v: u32 = tid; v < V; v += WG_1D) {
    let s = logits[base + v] * invTemperature - studentMax;
    let t = teacherLogits[base + v] * invTemperature - teacherMax;
    let eTeacher = exp(t);
    localStudentSum += exp(s);
    localTeacherSum += eTeacher;
    // A term with p_T = 0 adds 0, even where t − s is not finite.
    if (eTeacher > 0.0) { localCross += eTeacher * (t - s); }
  }
  partialStudentSum[tid] = localStudentSum;
  partialTeacherSum[tid] = localTeacherSum;
  partialCross[tid] = localCross;
  workgroupBarrier();
  for (var stride: u32 = WG_1D / 2u; stride > 0u; stride /= 2u) {
    if (tid < stride) {
      partialStudentSum[tid] += partialStudentSum[tid + stride];
      partialTeacherSum[tid] += partialTeacherSum[tid + stride];
      partialCross[tid] += partialCross[tid + stride];
    }
    workgroupBarrier();
  }

  // Phase 3: KL from the three sums. KL ≥ 0 in exact arithmetic, so the max only
  // removes rounding error of a nearly identical teacher.
  if (tid == 0u) {
    let studentLogSum = log(partialStudentSum[0]);
    let teacherLogSum = log(partialTeacherSum[0]);
    kl[row] = max(partialCross[0] / partialTeacherSum[0] - teacherLogSum + studentLogSum, 0.0);
    distillStats[4u * row] = studentMax;
    distillStats[4u * row + 1u] = studentLogSum;
    distillStats[4u * row + 2u] = teacherMax;
    distillStats[4u * row + 3u] = teacherLogSum;
  }
}

@group(0) @binding(0) var<storage, read_write> dlogits: array<f32>;     // (M,V), holds the student logits on entry
@group(0) @binding(1) var<storage, read> rowStats: array<f32>;          // (M,2): max(z), log Σ exp(z − max), from crossentropyForward
@group(0) @binding(2) var<storage, read> distillStatsB: array<f32>;     // (M,4), from distillForward
@group(0) @binding(3) var<storage, read> teacherLogitsB: array<f32>;    // (M,V)
@group(0) @binding(4) var<storage, read> targets: array<i32>;           // (M)
@group(0) @binding(5) var<storage, read> mask: array<u32>;              // (M), 1 = kept
@group(0) @binding(6) var<uniform> sizesB: DistillSizes;

// dL/dz = (mask_j/k)·[(1 − λ)·(p − onehot(target_j)) + λ·τ·(p_S − p_T)], with
// p = softmax(z), p_S = softmax(z/τ) and p_T = softmax(u/τ): τ²·dKL/dz = τ·(p_S − p_T).
@compute @workgroup_size(WG_1D)
fn distillBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = flatIndex(gid, nwg, WG_1D);
  let V = sizesB.V;
  if (index >= sizesB.M * V) { return; }
  let row = index / V;
  let v = index % V;
  if (mask[row] == 0u) {
    dlogits[index] = 0.0;
    return;
  }

  // Rebuild the three probabilities from the logits and the row statistics.
  let z = dlogits[index];
  let invTemperature = sizesB.invTemperature;
  let p = exp(z - rowStats[2u * row] - rowStats[2u * row + 1u]);
  let pStudent = exp(z * invTemperature - distillStatsB[4u * row] - distillStatsB[4u * row + 1u]);
  let pTeacher = exp(teacherLogitsB[index] * invTemperature - distillStatsB[4u * row + 2u] - distillStatsB[4u * row + 3u]);

  // Blend the cross-entropy and distillation gradients.
  var indicator: f32 = 0.0;
  if (v == u32(targets[row])) { indicator = 1.0; }
  let crossentropyGrad = p - indicator;
  let distillGrad = sizesB.temperature * (pStudent - pTeacher);
  let lambda = sizesB.lambda;
  dlogits[index] = ((1.0 - lambda) * crossentropyGrad + lambda * distillGrad) * sizesB.invKept;
}
