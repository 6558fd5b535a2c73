// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019) over the
// flat parameter buffer, one thread per element. Gradients are first multiplied by the
// global-norm clip scale in normStats[1]. Weight decay applies only to elements inside
// a range flagged for decay (2-D weight matrices); padding elements have zero
// parameter and gradient and stay zero.

override WG_1D: u32 = 64;

@group(0) @binding(0) var<storage, read_write> params: array<f32>;   // (P)
@group(0) @binding(1) var<storage, read_write> mMoment: array<f32>;  // (P) first moment
@group(0) @binding(2) var<storage, read_write> vMoment: array<f32>;  // (P) second moment
@group(0) @binding(3) var<storage, read> grads: array<f32>;          // (P)
@group(0) @binding(4) var<storage, read> decayRanges: array<vec2<u32>>; // [start, end) of decayed ranges
@group(0) @binding(5) var<storage, read> normStats: array<f32>;      // norm, clip scale
@group(0) @binding(6) var<uniform> hp: AdamwParams;

@compute @workgroup_size(WG_1D)
fn adamwUpdate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, WG_1D);
  if (i >= hp.P) { return; }

  var decay: f32 = 0.0;
  for (var r: u32 = 0u; r < hp.rangeCount; r++) {
    let range = decayRanges[r];
    if (i >= range.x && i < range.y) { decay = hp.weightDecay; }
  }

  let g = grads[i] * normStats[1];
  let m = hp.beta1 * mMoment[i] + (1.0 - hp.beta1) * g;
  let v = hp.beta2 * vMoment[i] + (1.0 - hp.beta2) * g * g;
  mMoment[i] = m;
  vMoment[i] = v;
  let mHat = m / hp.biasCorrection1;
  let vHat = v / hp.biasCorrection2;
  let p = params[i];
  params[i] = p - hp.lr * (mHat / (sqrt(vHat) + hp.eps) + decay * p);
}
