// Causal multi-head self-attention on a packed qkv tensor (B,T,3C): q at channel
// h·HS + d, k at C + h·HS + d, v at 2C + h·HS + d. attentionForward overwrites out and
// att; the backward entry points accumulate into dinp (the gradient of qkv), with
// dpreatt as scratch. Every thread owns its outputs and sums over positions in order.

override WG_1D: u32 = 64;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;  // (B,T,C)
@group(0) @binding(1) var<storage, read_write> att: array<f32>;  // (B,NH,T,T), 0 above the diagonal
@group(0) @binding(2) var<storage, read> inp: array<f32>;        // (B,T,3C)
@group(0) @binding(3) var<uniform> sizes: AttentionSizes;

// One thread per (b, h, t): scores against every t2 ≤ t, softmax, then the weighted sum of v.
@compute @workgroup_size(WG_1D)
fn attentionForward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = flatIndex(gid, nwg, WG_1D);
  let T = sizes.T;
  let C = sizes.C;
  let NH = sizes.NH;
  if (index >= sizes.B * NH * T) { return; }
  let t = index % T;
  let h = (index / T) % NH;
  let b = index / (T * NH);
  let HS = C / NH;
  let scale = 1.0 / sqrt(f32(HS));
  let attRow = index * T;
  let q = (b * T + t) * 3u * C + h * HS;

  // Scores q·k / √HS, kept in att until normalised.
  var maxScore: f32 = -3.0e38;
  for (var t2: u32 = 0u; t2 <= t; t2++) {
    let k = (b * T + t2) * 3u * C + C + h * HS;
    var dot: f32 = 0.0;
    for (var d: u32 = 0u; d < HS; d++) { dot += inp[q + d] * inp[k + d]; }
    let score = dot * scale;
    att[attRow + t2] = score;
    maxScore = max(maxScore, score);
  }

  // Softmax over t2 ≤ t; masked entries are 0.
  var sum: f32 = 0.0;
  for (var t2: u32 = 0u; t2 <= t; t2++) {
    let e = exp(att[attRow + t2] - maxScore);
    att[attRow + t2] = e;
    sum += e;
  }
  let invSum = 1.0 / sum;
  for (var t2: u32 = 0u; t2 < T; t2++) {
    if (t2 <= t) { att[attRow + t2] *= invSum; } else { att[attRow + t2] = 0.0; }
  }

  // out[b,t,h,:] = Σ_t2 att[t2]·v[b,t2,h,:]
  let o = (b * T + t) * C + h * HS;
  for (var d: u32 = 0u; d < HS; d++) {
    var acc: f32 = 0.0;
    for (var t2: u32 = 0u; t2 <= t; t2++) {
      acc += att[attRow + t2] * inp[(b * T + t2) * 3u * C + 2u * C + h * HS + d];
    }
    out[o + d] = acc;
  }
}

@group(0) @binding(0) var<storage, read_write> dpreatt: array<f32>; // (B,NH,T,T) scratch, overwritten
@group(0) @binding(1) var<storage, read> doutS: array<f32>;         // (B,T,C)
@group(0) @binding(2) var<storage, read> inpS: array<f32>;          // (B,T,3C)
@group(0) @binding(3) var<storage, read> attS: array<f32>;          // (B,NH,T,T)
@group(0) @binding(4) var<uniform> sizesS: AttentionSizes;
@group(0) @binding(5) var<storage, read> activeLengthsS: array<u32>; // (B) when sizesS.skipRows = 1

// One thread per (b, h, t): datt[t2] = dout[t]·v[t2]; the softmax backward gives
// dpreatt[t2] = att[t2]·(datt[t2] − Σ_t3 att[t3]·datt[t3]); the 1/√HS of the scores is
// folded in here, so the query and key kernels multiply by dpreatt alone.
@compute @workgroup_size(WG_1D)
fn attentionBackwardScores(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = flatIndex(gid, nwg, WG_1D);
  let T = sizesS.T;
  let C = sizesS.C;
  let NH = sizesS.NH;
  if (index >= sizesS.B * NH * T) { return; }
  let t = index % T;
  let h = (index / T) % NH;
  let b = index / (T * NH);
  let HS = C / NH;
  let scale = 1.0 / sqrt(f32(HS));
  let row = index * T;
  let o = (b * T + t) * C + h * HS;
  // A query after its sequence's last kept token has zero dout; the key/value kernel
  // never reads its dpreatt row.
  if (sizesS.skipRows != 0u && t >= activeLengthsS[b]) { return; }

  var weighted: f32 = 0.0;
  for (var t2: u32 = 0u; t2 <= t; t2++) {
    let v = (b * T + t2) * 3u * C + 2u * C + h * HS;
    var datt: f32 = 0.0;
    for (var d: u32 = 0u; d < HS; d++) { datt += doutS[o + d] * inpS[v + d]; }
    dpreatt[row + t2] = datt;
    weighted += attS[row + t2] * datt;
  }
  for (var t2: u32 = 0u; t2 < T; t2++) {
    if (t2 <= t) {
      dpreatt[row + t2] = attS[row + t2] * (dpreatt[row + t2] - weighted) * scale;
    } else {
      dpreatt[row + t2] = 0.0;
    }
  }
}

@group(0) @binding(0) var<storage, read_write> dinpQ: array<f32>;  // (B,T,3C)
@group(0) @binding(1) var<storage, read> dpreattQ: array<f32>;     // (B,NH,T,T)
@group(0) @binding(2) var<storage, read> inpQ: array<f32>;         // (B,T,3C)
@group(0) @binding(3) var<uniform> sizesQ: AttentionSizes;
@group(0) @binding(4) var<storage, read> activeLengthsQ: array<u32>; // (B) when sizesQ.skipRows = 1

// dq[b,t,h,d] += Σ_{t2 ≤ t} dpreatt[b,h,t,t2]·k[b,t2,h,d]; one thread per (b,t,channel).
@compute @workgroup_size(WG_1D)
fn attentionBackwardQuery(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = flatIndex(gid, nwg, WG_1D);
  let T = sizesQ.T;
  let C = sizesQ.C;
  let NH = sizesQ.NH;
  if (index >= sizesQ.B * T * C) { return; }
  let channel = index % C;
  let t = (index / C) % T;
  let b = index / (C * T);
  let HS = C / NH;
  let h = channel / HS;
  let row = ((b * NH + h) * T + t) * T;
  if (sizesQ.skipRows != 0u && t >= activeLengthsQ[b]) { return; }

  var acc: f32 = 0.0;
  for (var t2: u32 = 0u; t2 <= t; t2++) {
    acc += dpreattQ[row + t2] * inpQ[(b * T + t2) * 3u * C + C + channel];
  }
  dinpQ[(b * T + t) * 3u * C + channel] += acc;
}

@group(0) @binding(0) var<storage, read_write> dinpKV: array<f32>; // (B,T,3C)
@group(0) @binding(1) var<storage, read> dpreattKV: array<f32>;    // (B,NH,T,T)
@group(0) @binding(2) var<storage, read> attKV: array<f32>;        // (B,NH,T,T)
@group(0) @binding(3) var<storage, read> doutKV: array<f32>;       // (B,T,C)
@group(0) @binding(4) var<storage, read> inpKV: array<f32>;        // (B,T,3C)
@group(0) @binding(5) var<uniform> sizesKV: AttentionSizes;
@group(0) @binding(6) var<storage, read> activeLengthsKV: array<u32>; // (B) when sizesKV.skipRows = 1

// dk[b,t2,h,d] += Σ_{t ≥ t2} dpreatt[b,h,t,t2]·q[b,t,h,d] and
// dv[b,t2,h,d] += Σ_{t ≥ t2} att[b,h,t,t2]·dout[b,t,h,d]; one thread per (b,t2,channel).
@compute @workgroup_size(WG_1D)
fn attentionBackwardKeyValue(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = flatIndex(gid, nwg, WG_1D);
  let T = sizesKV.T;
  let C = sizesKV.C;
  let NH = sizesKV.NH;
  if (index >= sizesKV.B * T * C) { return; }
  let channel = index % C;
  let t2 = (index / C) % T;
  let b = index / (C * T);
  let HS = C / NH;
  let h = channel / HS;
  let headRows = (b * NH + h) * T;
  // Queries after the sequence's last kept token contribute nothing, so the sum stops there.
  var end = T;
  if (sizesKV.skipRows != 0u) { end = activeLengthsKV[b]; }
  if (t2 >= end) { return; }

  var dk: f32 = 0.0;
  var dv: f32 = 0.0;
  for (var t: u32 = t2; t < end; t++) {
    let entry = (headRows + t) * T + t2;
    dk += dpreattKV[entry] * inpKV[(b * T + t) * 3u * C + channel];
    dv += attKV[entry] * doutKV[(b * T + t) * C + channel];
  }
  let base = (b * T + t2) * 3u * C;
  dinpKV[base + C + channel] += dk;
  dinpKV[base + 2u * C + channel] += dv;
}
