// Sorts every line of x along one axis and writes the i32 positions of the sorted values (argsort;
// sort and topk gather the values with them). x is viewed as [outer, n, inner] (contiguous); line r =
// (r / inner, r % inner) holds x[o, 0..n, c], and indices has x's shape:
//   indices[o, i, c] = the position along n of the line's i-th value in order.
// Each value becomes a u32 key whose unsigned order is the order wanted: f32 by its bits (the sign
// bit flipped for positives, all bits for negatives), with -0 taken as +0 and every NaN as the
// largest key, past +inf (PyTorch's order); i32 with its sign bit flipped; u32 as it is. Descending
// complements the key, so NaN comes first. Each key is paired with its position in the line and the
// pairs sorted by (key, position) with the passes of include/bitonic.wgsl: equal values keep their
// order (a stable sort, ascending and descending). Each line is one segment of `padded` keys (the
// next power of two >= n); its last padded - n keys are pads (0xffffffff, position >= n), which sort
// after every real key and are never written out.
// Entry points (the host runs, with B = BLOCK keys in one workgroup's memory):
//   sort_rows      padded <= B: each workgroup loads B / padded whole lines (or the last, shorter
//                  run of lines), sorts them and writes their indices: one dispatch;
//   padded > B:
//     sort_blocks  each workgroup loads one block of B keys and runs every stage k <= B on it,
//                  writing the keys to sort_keys;
//     then, for each stage k = 2B, 4B, ..., padded:
//       bitonic_step  one global pass at a distance j >= B (log2(k / B) of them per stage);
//       merge_blocks  the stage's passes j < B in workgroup memory, writing sort_keys back, or in
//                     the last stage (k = padded) merge_last, which writes the indices instead.
// Bindings differ per entry point (listed above their declarations below).
// Includes: grid (the folded 1-D launch of bitonic_step, and WG) and bitonic (the sort's passes).

#include "grid"

struct Params {
  n: u32,
  inner: u32,
  padded: u32,
  total: u32,
  kind: u32,
  descending: u32,
  k: u32,
  j: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// sort_rows: @1 x, @2 indices; sort_blocks: @1 x, @3 sort_keys; bitonic_step and merge_blocks:
// @3 sort_keys; merge_last: @3 sort_keys, @2 indices.
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> sort_keys: array<vec2<u32>>;

#include "bitonic"

// p.kind: the element type of x (its bits are read as u32).
const KIND_F32: u32 = 0u;
const KIND_I32: u32 = 1u;

/** The u32 whose unsigned order is the order of the value with bits `bits` (before `descending`). */
fn ordered_key(bits: u32) -> u32 {
  if (p.kind == KIND_F32) {
    if ((bits & 0x7fffffffu) > 0x7f800000u) { return 0xffffffffu; }
    if ((bits & 0x7fffffffu) == 0u) { return 0x80000000u; }
    return select(bits | 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
  }
  if (p.kind == KIND_I32) { return bits ^ 0x80000000u; }
  return bits;
}

/** Where element i of line r lies in x and in indices. */
fn address(r: u32, i: u32) -> u32 {
  return (r / p.inner) * p.n * p.inner + i * p.inner + r % p.inner;
}

/** The key at position `at` of the whole array of segments: (value key, position in its line). */
fn load_key(at: u32) -> vec2<u32> {
  let i = at % p.padded;
  if (i >= p.n) { return vec2<u32>(0xffffffffu, i); }
  let key = ordered_key(x[address(at / p.padded, i)]);
  return vec2<u32>(select(key, ~key, p.descending != 0u), i);
}

/** The `size` keys from position `first` into block_keys. */
fn load_block(first: u32, size: u32, lid: u32) {
  for (var i = lid; i < size; i += WG) { block_keys[i] = load_key(first + i); }
}

/** Writes the positions of the sorted keys in block_keys (from position `first`), skipping the pads. */
fn write_indices(first: u32, size: u32, lid: u32) {
  for (var i = lid; i < size; i += WG) {
    let at = first + i;
    let slot = at % p.padded;
    if (slot < p.n) { indices[address(at / p.padded, slot)] = i32(block_keys[i].y); }
  }
}

@compute @workgroup_size(WG)
fn sort_rows(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let first = block_of(workgroup, groups) * BLOCK;
  if (first >= p.total) { return; }
  // Whole lines: p.total and BLOCK are both multiples of p.padded.
  let size = min(p.total - first, BLOCK);
  load_block(first, size, lid);
  sort_block(first, size, lid, p.padded);
  write_indices(first, size, lid);
}

@compute @workgroup_size(WG)
fn sort_blocks(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let first = block_of(workgroup, groups) * BLOCK;
  if (first >= p.total) { return; }
  load_block(first, BLOCK, lid);
  sort_block(first, BLOCK, lid, p.padded);
  for (var i = lid; i < BLOCK; i += WG) { sort_keys[first + i] = block_keys[i]; }
}

@compute @workgroup_size(WG)
fn bitonic_step(grid: Grid) {
  global_pass(flat_index(grid), p.total, p.k, p.j, p.padded);
}

@compute @workgroup_size(WG)
fn merge_blocks(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let first = block_of(workgroup, groups) * BLOCK;
  if (first >= p.total) { return; }
  for (var i = lid; i < BLOCK; i += WG) { block_keys[i] = sort_keys[first + i]; }
  merge_block(first, lid, p.k, p.padded);
  for (var i = lid; i < BLOCK; i += WG) { sort_keys[first + i] = block_keys[i]; }
}

@compute @workgroup_size(WG)
fn merge_last(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let first = block_of(workgroup, groups) * BLOCK;
  if (first >= p.total) { return; }
  for (var i = lid; i < BLOCK; i += WG) { block_keys[i] = sort_keys[first + i]; }
  merge_block(first, lid, p.k, p.padded);
  write_indices(first, BLOCK, lid);
}
