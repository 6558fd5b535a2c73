// Helpers shared by every op-family module; src/gpu/kernel.ts prepends this file and
// then the module's uniform structs (generated from their UniformLayout) to each module.

// sqrt(2/pi), the constant of GPT-2's tanh-form GELU.
const GELU_SCALING: f32 = 0.7978845608028654;

// Flat invocation index of a 1-D dispatch that grid1d() may have split over x and y.
fn flatIndex(gid: vec3<u32>, nwg: vec3<u32>, workgroupSize: u32) -> u32 {
  return gid.x + gid.y * nwg.x * workgroupSize;
}

// Flat workgroup index of a dispatch with one workgroup per row, split over x and y.
fn flatWorkgroup(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}
