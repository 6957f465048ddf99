// Index-add by sorted segments: the backward of indexSelect (and so of embedding lookups).
// src is viewed as [outer, count, inner] and out as [outer, rows, inner]:
//   out[o, v, c] = sum over the positions l with index[l] == v, in increasing l, of src[o, l, c]
// WGSL has no float atomics, and atomics would make the order of the additions (so the rounding)
// change from run to run. Instead the positions are sorted by (row, position), after which each row's
// positions form one segment, in increasing order, and each output element sums its own segment:
// bit-identical results, and every src value is read exactly once.
// Four entry points, run in this order by the host:
//   make_keys       keys[l] = (clamp(index[l]), l) for l < count; (0xffffffff, l) pads up to `padded`
//                   (the next power of two), sorting after every real key.
//   bitonic_step    one compare-exchange pass of a bitonic sort (stage width k, distance j) over the
//                   `padded` keys, one invocation per pair; log2(P)(log2(P)+1)/2 passes in all.
//                   Keys are distinct (positions differ), so the sorted order is unique.
//   segment_starts  starts[v] = first sorted key with row >= v (binary search), v in [0, rows].
//   accumulate      one invocation per output element, summing src over its row's segment.
// For few rows and positions the host runs one entry point instead of these four:
//   accumulate_scan one invocation per output element, scanning every position for its row and
//                   adding in increasing position order: the same sums as the sorted segments (one
//                   dispatch against the sort's dozens, for O(out.size x count) reads).
// Bindings differ per entry point (each uses @1.. in order; see the declarations below). Indices are
// clamped into [0, rows) as gather.wgsl reads them; make_keys reports one outside it to the runtime's
// check flag (site `site`; see include/check_flag.wgsl). On a real GPU the short-distance passes of the sort
// could run in workgroup memory; on SwiftShader barriers cost more than the extra passes.
// Includes: grid (the folded 1-D launch) and check_flag (reports and clamps an index out of range,
// as gather does).

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

// make_keys: @1 index, @2 keys, @3 check_flag
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, read_write> new_keys: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> check_flag: array<atomic<u32>, 4>;

#include "check_flag"

@compute @workgroup_size(WG)
fn make_keys(grid: Grid) {
  let l = flat_index(grid);
  if (l >= p.padded) { return; }
  var row = 0xffffffffu;
  if (l < p.count) {
    row = checked_index(p.site, index[l], p.rows);
  }
  new_keys[l] = vec2<u32>(row, l);
}

// bitonic_step: @1 keys
@group(0) @binding(1) var<storage, read_write> sort_keys: array<vec2<u32>>;

fn key_greater(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.x > b.x || (a.x == b.x && a.y > b.y);
}

@compute @workgroup_size(WG)
fn bitonic_step(grid: Grid) {
  let t = flat_index(grid);
  if (t >= p.padded / 2u) { return; }
  let lo = (t / p.j) * 2u * p.j + t % p.j;
  let hi = lo + p.j;
  let ascending = (lo & p.k) == 0u;
  let a = sort_keys[lo];
  let b = sort_keys[hi];
  if (key_greater(a, b) == ascending) {
    sort_keys[lo] = b;
    sort_keys[hi] = a;
  }
}

// segment_starts: @1 keys, @2 starts
@group(0) @binding(1) var<storage, read> sorted_keys: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read_write> new_starts: array<u32>;

@compute @workgroup_size(WG)
fn segment_starts(grid: Grid) {
  let v = flat_index(grid);
  if (v > p.rows) { return; }
  var lo = 0u;
  var hi = p.padded;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (sorted_keys[mid].x < v) { lo = mid + 1u; } else { hi = mid; }
  }
  new_starts[v] = lo;
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

// accumulate: @1 src, @2 keys, @3 starts, @4 out
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> keys: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> starts: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn accumulate(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  let e = output_element(i);
  let v = e.row;
  let src_base = e.src_base;
  let end = starts[v + 1u];
  var sum = 0.0;
  for (var s = starts[v]; s < end; s++) {
    sum += src[src_base + keys[s].y * p.inner];
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
  // The first element reports an index outside [0, rows); every element clamps each as make_keys does.
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
