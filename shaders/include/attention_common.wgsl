// Shared by the three attention kernels (attention.wgsl, attention_grad_q.wgsl, attention_grad_kv.wgsl),
// inlined where they say #include "attention_common": the uniform Params, the workgroup size, the
// head size in vec4s (DH4, substituted per launch) and the row-offset helper.

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

override WG: u32 = 64;
const DH4: u32 = {{DH4}}u;
const STEP = vec4<u32>(0u, 1u, 2u, 3u);

/** Offsets (in vec4s) of rows `t` of head `h` in batch `b` for a layout `at`. */
fn rows_at(at: vec4<u32>, b: u32, h: u32, t: vec4<u32>) -> vec4<u32> {
  return vec4<u32>(at.x + b * at.y + h * at.z) + t * at.w;
}
