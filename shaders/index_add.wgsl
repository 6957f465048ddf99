// Index-add by sorted segments: the backward of indexSelect (and so of embedding lookups).
// src is viewed as [outer, count, inner] and out as [outer, rows, inner]:
//   out[o, v, c] = sum over the positions l with index[l] == v, in increasing l, of src[o, l, c]
// WGSL has no float atomics, and atomics would make the order of the additions (so the rounding)
// change from run to run. Instead the positions are sorted by (row, position), after which each row's
// positions form one segment, in increasing order, and each output element sums its own segment:
// bit-identical results, and every src value is read exactly once.
// The keys are (clamp(index[l]), l) for l < count and (0xffffffff, l) up to `padded` (the next power
// of two), pads that sort after every real key. Keys are distinct (positions differ), so the sorted
// order is unique. They are sorted by a bitonic sort, whose passes (stage width k, distance j) run
// in workgroup memory wherever j < BLOCK, BLOCK consecutive keys per workgroup; the host runs:
//   sort_blocks     makes the keys of each block from the index and runs every stage k <= BLOCK on
//                   it: one dispatch sorts `padded` <= BLOCK keys completely;
//   then, for each stage k = 2 BLOCK, 4 BLOCK, ..., padded:
//     bitonic_step  one pass at a distance j >= BLOCK over the whole array, one invocation per pair
//                   (log2(k / BLOCK) of them in the stage);
//     merge_blocks  the stage's passes j < BLOCK, in workgroup memory;
//   accumulate      one invocation per output element: finds its row's segment by binary search in
//                   the sorted keys and sums src over it.
// For few rows and positions the host runs one entry point instead of these:
//   accumulate_scan one invocation per output element, scanning every position for its row and
//                   adding in increasing position order: the same sums as the sorted segments (one
//                   dispatch, for O(out.size x count) reads).
// Bindings differ per entry point (each uses @1.. in order; see the declarations below). Indices are
// clamped into [0, rows) as gather.wgsl reads them; sort_blocks and accumulate_scan report one
// outside it to the runtime's check flag (site `site`; see include/check_flag.wgsl).
// Includes: grid (the folded 1-D launch), bitonic (the sort's passes; every segment is the whole
// `padded` array) and check_flag (reports and clamps an index out of range, as gather does).

#include "grid"

struct Params {
  n: u32,
  count: u32,
  padded: u32,
  rows: u32,
  inner: u32,
  k: u32,
  j: u32,
  site: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// sort_blocks: @1 sort_keys, @2 index, @3 check_flag
@group(0) @binding(1) var<storage, read_write> sort_keys: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> check_flag: array<atomic<u32>, 4>;

#include "check_flag"
#include "bitonic"

@compute @workgroup_size(WG)
fn sort_blocks(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let first = block_of(workgroup, groups) * BLOCK;
  if (first >= p.padded) { return; }
  // A whole block, or the one short block of a `padded` < BLOCK.
  let size = min(p.padded, BLOCK);
  for (var i = lid; i < size; i += WG) {
    let l = first + i;
    var row = 0xffffffffu;
    if (l < p.count) {
      row = checked_index(p.site, index[l], p.rows);
    }
    block_keys[i] = vec2<u32>(row, l);
  }
  sort_block(first, size, lid, p.padded);
  for (var i = lid; i < size; i += WG) { sort_keys[first + i] = block_keys[i]; }
}

// merge_blocks: @1 sort_keys (the passes j < BLOCK of a stage k > BLOCK, so `padded` is a multiple of BLOCK)
@compute @workgroup_size(WG)
fn merge_blocks(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let first = block_of(workgroup, groups) * BLOCK;
  if (first >= p.padded) { return; }
  for (var i = lid; i < BLOCK; i += WG) { block_keys[i] = sort_keys[first + i]; }
  merge_block(first, lid, p.k, p.padded);
  for (var i = lid; i < BLOCK; i += WG) { sort_keys[first + i] = block_keys[i]; }
}

// bitonic_step: @1 sort_keys (one pass at a distance j >= BLOCK, one invocation per pair)
@compute @workgroup_size(WG)
fn bitonic_step(grid: Grid) {
  global_pass(flat_index(grid), p.padded, p.k, p.j, p.padded);
}

/** Output element i = [o, row, c]: its row, and where src[o, 0, c] lies (positions l then step by inner). */
struct OutputElement {
  row: u32,
  src_base: u32,
}

fn output_element(i: u32) -> OutputElement {
  let c = i % p.inner;
  let o_row = i / p.inner;
  return OutputElement(o_row % p.rows, (o_row / p.rows) * p.count * p.inner + c);
}

// accumulate: @1 src, @2 keys, @3 out
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> keys: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

/** The first sorted key with row >= v (the pads, row 0xffffffff, lie past p.count). */
fn segment_start(v: u32) -> u32 {
  var lo = 0u;
  var hi = p.count;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (keys[mid].x < v) { lo = mid + 1u; } else { hi = mid; }
  }
  return lo;
}

@compute @workgroup_size(WG)
fn accumulate(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  let e = output_element(i);
  var sum = 0.0;
  for (var s = segment_start(e.row); s < p.count; s++) {
    let key = keys[s];
    if (key.x != e.row) { break; }
    sum += src[e.src_base + key.y * p.inner];
  }
  out[i] = sum;
}

// accumulate_scan: @1 src, @2 index, @3 check_flag, @4 out
@group(0) @binding(1) var<storage, read> scan_src: array<f32>;
@group(0) @binding(2) var<storage, read> scan_index: array<i32>;
@group(0) @binding(4) var<storage, read_write> scan_out: array<f32>;

@compute @workgroup_size(WG)
fn accumulate_scan(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  let e = output_element(i);
  let v = e.row;
  let src_base = e.src_base;
  // The first element reports an index outside [0, rows); every element clamps each as sort_blocks does.
  if (i == 0u) {
    for (var l = 0u; l < p.count; l++) { _ = checked_index(p.site, scan_index[l], p.rows); }
  }
  var sum = 0.0;
  for (var l = 0u; l < p.count; l++) {
    if (clamped_index(scan_index[l], p.rows) == v) {
      sum += scan_src[src_base + l * p.inner];
    }
  }
  scan_out[i] = sum;
}
