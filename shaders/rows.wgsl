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
