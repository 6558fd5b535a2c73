// Exact top-k selection of scores: keep the k largest, ties broken by the lower flat
// index, as a radix select on order-preserving u32 keys of the f32 scores. The key of a
// non-negative score is its bit pattern with the sign bit set; the key of a negative
// score is its bit pattern inverted, so keys order like values (Rho-1's excess loss can
// be negative). −0 is mapped to +0 first so the two tie, as equal values do. One
// workgroup does the whole batch: four 8-bit passes over integer histograms find the
// threshold key (the VaR), then two prefix sums over contiguous chunks write the mask
// and the compacted, increasing list of kept indices.

override WG_REDUCE: u32 = 256;

@group(0) @binding(0) var<storage, read_write> mask: array<u32>;        // (M), 1 = kept
@group(0) @binding(1) var<storage, read_write> keptIndices: array<u32>; // (M), first k entries valid
@group(0) @binding(2) var<storage, read_write> selectStats: array<f32>; // threshold, kept count, Σ kept scores
@group(0) @binding(3) var<storage, read> scores: array<f32>;            // (M)
@group(0) @binding(4) var<uniform> sizes: SelectSizes;

var<workgroup> histogram: array<atomic<u32>, 256>;
var<workgroup> chunkCounts: array<u32, WG_REDUCE>;
var<workgroup> chunkSums: array<f32, WG_REDUCE>;
var<workgroup> prefix: u32;
var<workgroup> prefixMask: u32;
var<workgroup> remaining: u32;
var<workgroup> keptTotal: u32;

fn scoreKey(i: u32) -> u32 {
  let s = scores[i];
  if (s == 0.0) { return 0x80000000u; }
  let bits = bitcast<u32>(s);
  if ((bits & 0x80000000u) != 0u) { return ~bits; }
  return bits | 0x80000000u;
}

// Inverse of scoreKey: the f32 value a key stands for.
fn keyValue(key: u32) -> f32 {
  if ((key & 0x80000000u) != 0u) { return bitcast<f32>(key & 0x7fffffffu); }
  return bitcast<f32>(~key);
}

// Replace chunkCounts by its exclusive prefix sum, computed by thread 0 in index order.
fn exclusiveScanChunks(tid: u32) {
  workgroupBarrier();
  if (tid == 0u) {
    var running: u32 = 0u;
    for (var i: u32 = 0u; i < WG_REDUCE; i++) {
      let c = chunkCounts[i];
      chunkCounts[i] = running;
      running += c;
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG_REDUCE)
fn selectTopK(@builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.x;
  let M = sizes.M;
  if (tid == 0u) {
    prefix = 0u;
    prefixMask = 0u;
    remaining = sizes.k;
  }

  // Phase 1: radix select, most significant byte first. After digit p, prefix holds the
  // top 8(p+1) bits of the threshold and remaining counts how many elements sharing
  // that prefix must still be kept.
  for (var digit: u32 = 0u; digit < 4u; digit++) {
    let shift = 24u - 8u * digit;
    atomicStore(&histogram[tid], 0u);
    workgroupBarrier();
    let p = prefix;
    let pm = prefixMask;
    for (var i: u32 = tid; i < M; i += WG_REDUCE) {
      let bits = scoreKey(i);
      if ((bits & pm) == p) { atomicAdd(&histogram[(bits >> shift) & 255u], 1u); }
    }
    workgroupBarrier();
    if (tid == 0u) {
      var above: u32 = 0u;
      var bin: u32 = 255u;
      loop {
        let count = atomicLoad(&histogram[bin]);
        if (above + count >= remaining || bin == 0u) { break; }
        above += count;
        bin -= 1u;
      }
      remaining -= above;
      prefix = prefix | (bin << shift);
      prefixMask = prefixMask | (255u << shift);
    }
    workgroupBarrier();
  }
  let threshold = prefix;
  let tiesToKeep = remaining;

  // Phase 2: count ties (scores equal to the threshold) per contiguous chunk, so the
  // lowest-index ties are the ones kept.
  let chunk = (M + WG_REDUCE - 1u) / WG_REDUCE;
  let start = min(tid * chunk, M);
  let end = min(start + chunk, M);
  var ties: u32 = 0u;
  for (var i: u32 = start; i < end; i++) {
    if (scoreKey(i) == threshold) { ties++; }
  }
  chunkCounts[tid] = ties;
  exclusiveScanChunks(tid);
  let tiesBefore = chunkCounts[tid];

  // Phase 3: kept count per chunk, then its exclusive prefix gives each chunk's first
  // slot in keptIndices.
  var kept: u32 = 0u;
  var tieRank = tiesBefore;
  for (var i: u32 = start; i < end; i++) {
    let bits = scoreKey(i);
    if (bits > threshold) {
      kept++;
    } else if (bits == threshold) {
      if (tieRank < tiesToKeep) { kept++; }
      tieRank++;
    }
  }
  workgroupBarrier();
  chunkCounts[tid] = kept;
  exclusiveScanChunks(tid);

  // Phase 4: write the mask and the compacted kept indices; sum kept scores per chunk.
  var slot = chunkCounts[tid];
  tieRank = tiesBefore;
  var keptSum: f32 = 0.0;
  for (var i: u32 = start; i < end; i++) {
    let bits = scoreKey(i);
    var keep = bits > threshold;
    if (bits == threshold) {
      keep = tieRank < tiesToKeep;
      tieRank++;
    }
    if (keep) {
      mask[i] = 1u;
      keptIndices[slot] = i;
      slot++;
      keptSum += keyValue(bits);
    } else {
      mask[i] = 0u;
    }
  }
  chunkSums[tid] = keptSum;
  if (tid == WG_REDUCE - 1u) { keptTotal = slot; }
  workgroupBarrier();

  // Phase 5: statistics, summed over chunks in order.
  if (tid == 0u) {
    var total: f32 = 0.0;
    for (var i: u32 = 0u; i < WG_REDUCE; i++) { total += chunkSums[i]; }
    selectStats[0] = keyValue(threshold);
    selectStats[1] = f32(keptTotal);
    selectStats[2] = total;
  }
}
