// Row gather and scatter through a compacted list of row indices (the kept tokens the
// selection kernel writes), so work on unselected rows is skipped rather than
// multiplied by zero. The row count comes from a uniform written each step; dispatches
// are sized for the largest count and threads past it return at once.

override WG_1D: u32 = 64;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;     // (rows,C)
@group(0) @binding(1) var<storage, read> inp: array<f32>;           // (N,C)
@group(0) @binding(2) var<storage, read> indices: array<u32>;       // (≥ rows) row of inp for each output row
@group(0) @binding(3) var<uniform> sizes: RowSizes;

// out[r, c] = inp[indices[r], c]; overwrites out.
@compute @workgroup_size(WG_1D)
fn gatherRows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, WG_1D);
  if (i >= sizes.rows * sizes.C) { return; }
  let r = i / sizes.C;
  let c = i % sizes.C;
  out[i] = inp[indices[r] * sizes.C + c];
}

@group(0) @binding(0) var<storage, read_write> outScatter: array<f32>; // (N,C)
@group(0) @binding(1) var<storage, read> inpScatter: array<f32>;       // (rows,C)
@group(0) @binding(2) var<storage, read> indicesScatter: array<u32>;   // (≥ rows) distinct rows of out
@group(0) @binding(3) var<uniform> sizesScatter: RowSizes;

// out[indices[r], c] = inp[r, c]; other rows of out keep their values. Indices are
// distinct, so no two threads write one element.
@compute @workgroup_size(WG_1D)
fn scatterRows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, WG_1D);
  if (i >= sizesScatter.rows * sizesScatter.C) { return; }
  let r = i / sizesScatter.C;
  let c = i % sizesScatter.C;
  outScatter[indicesScatter[r] * sizesScatter.C + c] = inpScatter[i];
}

@group(0) @binding(0) var<storage, read_write> outTokens: array<u32>;   // (rows,C)
@group(0) @binding(1) var<storage, read> inpTokens: array<u32>;         // (N,C)
@group(0) @binding(2) var<storage, read> indicesTokens: array<u32>;     // (≥ rows)
@group(0) @binding(3) var<uniform> sizesTokens: RowSizes;

// gatherRows for integer data (token ids): copied as u32, never through f32, whose
// denormal range would hold small ids.
@compute @workgroup_size(WG_1D)
fn gatherRowsU32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, WG_1D);
  if (i >= sizesTokens.rows * sizesTokens.C) { return; }
  let r = i / sizesTokens.C;
  let c = i % sizesTokens.C;
  outTokens[i] = inpTokens[indicesTokens[r] * sizesTokens.C + c];
}

@group(0) @binding(0) var<storage, read_write> means: array<f32>;      // (rows)
@group(0) @binding(1) var<storage, read> values: array<f32>;           // (rows,C)
@group(0) @binding(2) var<uniform> sizesMeans: RowSizes;

// means[r] = (1/C)·Σ_c values[r, c], summed in order: a sequence's mean token loss.
@compute @workgroup_size(WG_1D)
fn rowMeans(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= sizesMeans.rows) { return; }
  var sum: f32 = 0.0;
  for (var c: u32 = 0u; c < sizesMeans.C; c++) { sum += values[r * sizesMeans.C + c]; }
  means[r] = sum / f32(sizesMeans.C);
}
