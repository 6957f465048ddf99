// Shared by the three attention kernels (attention.wgsl, attention_grad_q.wgsl, attention_grad_kv.wgsl),
// inlined where they say #include "attention_common": the uniform Params, the
// head size in vec4s (DH4, substituted per launch), where an invocation's block of 4 rows lies, the
// loads of 4 x 4 blocks of q, k and v, and which keys a query sees (the causal mask).
// Needs the includer's bindings q, k and v (array<vec4<f32>>) and `p` (this Params).

struct Params {
  batch: u32,
  heads: u32,
  tq: u32,
  tk: u32,
  k_rows: u32,
  offset: u32,
  causal: u32,
  scale: f32,
  blocks: u32,
  // Where rows live, per operand: (start, batch stride, head stride, row stride) in vec4s.
  q_at: vec4<u32>,
  k_at: vec4<u32>,
  v_at: vec4<u32>,
  o_at: vec4<u32>,
  dq_at: vec4<u32>,
  dk_at: vec4<u32>,
  dv_at: vec4<u32>,
}

const DH4: u32 = {{DH4}}u;
const STEP = vec4<u32>(0u, 1u, 2u, 3u);

/** The (batch, head) pair an invocation works on, as its index and as batch b and head h, and the
 * first of its 4 rows (query rows in attention and attention_grad_q, key rows in attention_grad_kv). */
struct Block {
  pair: u32,
  b: u32,
  h: u32,
  first: u32,
}

/** Invocation `task`'s block: blocks of 4 rows, `p.blocks` per (batch, head) pair, pairs batch-major. */
fn block_of(task: u32) -> Block {
  let pair = task / p.blocks;
  return Block(pair, pair / p.heads, pair % p.heads, (task % p.blocks) * 4u);
}

/** Offsets (in vec4s) of rows `t` of the block's head and batch for a layout `at`. */
fn rows_at(at: vec4<u32>, block: Block, t: vec4<u32>) -> vec4<u32> {
  return vec4<u32>(at.x + block.b * at.y + block.h * at.z) + t * at.w;
}

/** Dimensions 4d..4d+3 of four rows (offsets in vec4s of each row's start): column c is row c. */
fn load_q(rows: vec4<u32>, d: u32) -> mat4x4<f32> {
  return mat4x4<f32>(q[rows.x + d], q[rows.y + d], q[rows.z + d], q[rows.w + d]);
}
fn load_k(rows: vec4<u32>, d: u32) -> mat4x4<f32> {
  return mat4x4<f32>(k[rows.x + d], k[rows.y + d], k[rows.z + d], k[rows.w + d]);
}
fn load_v(rows: vec4<u32>, d: u32) -> mat4x4<f32> {
  return mat4x4<f32>(v[rows.x + d], v[rows.y + d], v[rows.z + d], v[rows.w + d]);
}

/** Which of four queries (their key positions) may see `key`. */
fn visible(positions: vec4<u32>, key: u32) -> vec4<bool> {
  let in_range = vec4<bool>(key < p.tk);
  if (p.causal == 0u) { return in_range; }
  return in_range & (vec4<u32>(key) <= positions);
}

/** The end of the keys that a block's 4 queries walk: all tk of them, or causally up to the last one's position. */
fn keys_end(block: Block) -> u32 {
  if (p.causal != 0u) { return min(p.tk, block.first + 4u + p.offset); }
  return p.tk;
}
