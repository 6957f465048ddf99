// The 'tiles' rung of the three attention kernels (attention.wgsl, attention_grad_q.wgsl,
// attention_grad_kv.wgsl), inlined where they say #include "attention_tiles". A workgroup takes WG
// blocks of 4 rows of one (batch, head) pair and walks the other side's rows (keys and values for the
// forward and dq kernels, queries and output gradients for the dk / dv kernel) in tiles of TILE_ROWS:
// all its invocations stage a tile of two operands together (neighbouring invocations reading
// neighbouring vec4s), wait at a barrier, then each takes its own block through the tile from
// workgroup memory. Every row is read from global memory once per workgroup instead of once per block.
// Workgroup memory: 2 x TILE_ROWS x Dh floats, 16 KiB at the largest head size (128).
// Needs the includer's source_a(pair, row, d) and source_b(pair, row, d), dimensions 4d..4d+3 of row
// `row` of the two operands it stages, and attention_common.

const TILE_ROWS = 16u;
/** Rows t0 .. t0 + TILE_ROWS - 1 of the two staged operands: row j's dimensions 4d..4d+3 at [j * DH4 + d]. */
var<workgroup> tile_a: array<vec4<f32>, TILE_ROWS * DH4>;
var<workgroup> tile_b: array<vec4<f32>, TILE_ROWS * DH4>;

/** Stages rows t0 .. t0 + TILE_ROWS - 1 (clamped to `last_row`) of `pair`'s two operands, `lane` taking every WG-th entry. */
fn stage_rows(pair: Block, t0: u32, last_row: u32, lane: u32) {
  for (var e = lane; e < TILE_ROWS * DH4; e += WG) {
    let row = min(t0 + e / DH4, last_row);
    tile_a[e] = source_a(pair, row, e % DH4);
    tile_b[e] = source_b(pair, row, e % DH4);
  }
}

/** The tile offsets of staged rows j .. j + 3. */
fn tile_rows(j: u32) -> vec4<u32> {
  return (vec4<u32>(j) + STEP) * DH4;
}

/** Dimensions 4d..4d+3 of four staged rows (offsets from tile_rows): column c is row c. */
fn tile_a_block(rows: vec4<u32>, d: u32) -> mat4x4<f32> {
  return mat4x4<f32>(tile_a[rows.x + d], tile_a[rows.y + d], tile_a[rows.z + d], tile_a[rows.w + d]);
}
fn tile_b_block(rows: vec4<u32>, d: u32) -> mat4x4<f32> {
  return mat4x4<f32>(tile_b[rows.x + d], tile_b[rows.y + d], tile_b[rows.z + d], tile_b[rows.w + d]);
}

/**
 * The tiles rung's workgroup as its pair (`first` its first block's first row): workgroups of WG blocks,
 * enough for p.blocks per pair, in a grid folded as grid1d folds. `pair` is past the last pair
 * (p.batch * p.heads) for the folded grid's extra workgroups, which return.
 */
fn workgroup_pair(group: vec3<u32>, groups: vec3<u32>) -> Block {
  let per_pair = (p.blocks + WG - 1u) / WG;
  let index = group.x + group.y * groups.x;
  let pair = index / per_pair;
  return Block(pair, pair / p.heads, pair % p.heads, (index % per_pair) * WG * 4u);
}

/** The block of `lane` in the workgroup of `pair`. */
fn lane_block(pair: Block, lane: u32) -> Block {
  return Block(pair.pair, pair.b, pair.h, pair.first + lane * 4u);
}

/** The workgroup's last block that holds rows (of `blocks` per pair): uniform, so loops bounded by it may hold barriers. */
fn last_block(pair: Block) -> Block {
  return Block(pair.pair, pair.b, pair.h, min(pair.first + (WG - 1u) * 4u, (p.blocks - 1u) * 4u));
}
