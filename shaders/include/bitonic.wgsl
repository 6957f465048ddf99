// The bitonic sort of (key, position) pairs that index_add.wgsl and sort.wgsl share. Keys are
// vec2<u32> compared as (x, then y): y is a position, distinct within a segment, so the sorted order
// is unique and every sort built on these passes is stable. An array of keys holds segments of
// `segment` keys (a power of two) sorted independently; stage k (2, 4, ..., segment) merges runs of k
// keys with passes at distances j = k/2, ..., 1, each pass a compare-exchange of the pairs
// (lo, lo + j). Within a stage the run at position pos ascends where (pos & k) == 0 and descends
// otherwise, except in the last stage (k == segment), where every run ascends: direction_bit(k,
// segment) is the bit that decides. Passes at distances j < BLOCK run in workgroup memory, BLOCK
// consecutive keys per workgroup; the host runs longer distances as global passes, one dispatch each.
// The including shader includes grid (for WG; the host sets WG and BLOCK as override constants and
// counts the workgroups with BLOCK) and declares the array of keys that the global passes sort:
//   @group(0) @binding(N) var<storage, read_write> sort_keys: array<vec2<u32>>;

override BLOCK: u32;
var<workgroup> block_keys: array<vec2<u32>, BLOCK>;

fn key_greater(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.x > b.x || (a.x == b.x && a.y > b.y);
}

/** Which block this workgroup holds (the launch folds its workgroups as grid1d does). */
fn block_of(workgroup: vec3<u32>, groups: vec3<u32>) -> u32 {
  return workgroup.x + workgroup.y * groups.x;
}

/** The bit of a key's position that makes its run descend in stage k (0 in a segment's last stage). */
fn direction_bit(k: u32, segment: u32) -> u32 {
  return k & (segment - 1u);
}

/** The lower position of pair t at distance j: pairs never straddle two runs of 2j keys. */
fn pair_low(t: u32, j: u32) -> u32 {
  return (t / j) * 2u * j + t % j;
}

/** Whether keys a (at position lo) and b (at lo + j) swap in a pass whose runs descend where lo & bit. */
fn out_of_order(a: vec2<u32>, b: vec2<u32>, lo: u32, bit: u32) -> bool {
  return key_greater(a, b) == ((lo & bit) == 0u);
}

/** One compare-exchange pass (distance j < size) over the `size` keys in block_keys, which start at
 * position `first`: each invocation takes pairs lid, lid + WG, .... The direction follows the keys'
 * positions in the whole array, so the block's part of the pass is exactly what a pass over the whole
 * array would do. */
fn block_pass(first: u32, size: u32, lid: u32, bit: u32, j: u32) {
  workgroupBarrier();
  for (var t = lid; t < size / 2u; t += WG) {
    let lo = pair_low(t, j);
    let a = block_keys[lo];
    let b = block_keys[lo + j];
    if (out_of_order(a, b, first + lo, bit)) {
      block_keys[lo] = b;
      block_keys[lo + j] = a;
    }
  }
}

/** Every stage k <= min(segment, size) over the `size` keys in block_keys: sorts each segment that
 * fits in the block, and leaves the block's runs of BLOCK keys sorted for the merges where they do not. */
fn sort_block(first: u32, size: u32, lid: u32, segment: u32) {
  for (var k = 2u; k <= min(segment, size); k *= 2u) {
    for (var j = k / 2u; j >= 1u; j /= 2u) { block_pass(first, size, lid, direction_bit(k, segment), j); }
  }
  workgroupBarrier();
}

/** The passes j < BLOCK of stage k > BLOCK over a whole block in block_keys. */
fn merge_block(first: u32, lid: u32, k: u32, segment: u32) {
  for (var j = BLOCK / 2u; j >= 1u; j /= 2u) { block_pass(first, BLOCK, lid, direction_bit(k, segment), j); }
  workgroupBarrier();
}

/** Pair t of one global pass (distance j >= BLOCK, stage k) over the `count` keys in sort_keys. */
fn global_pass(t: u32, count: u32, k: u32, j: u32, segment: u32) {
  if (t >= count / 2u) { return; }
  let lo = pair_low(t, j);
  let a = sort_keys[lo];
  let b = sort_keys[lo + j];
  if (out_of_order(a, b, lo, direction_bit(k, segment))) {
    sort_keys[lo] = b;
    sort_keys[lo + j] = a;
  }
}
