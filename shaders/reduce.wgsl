// Row reduction: x viewed as [rows, cols] (contiguous) -> out[rows * chunks].
// Invocation (r, c) combines x[r, c*chunk_len .. min(cols, (c+1)*chunk_len)) with {{OP}} and writes
// out[r * chunks + c], times `scale` (1/cols for mean). With chunks = 1 this is one invocation per
// row, which suits a few long rows badly, so the host splits long rows into chunks and runs the
// kernel again over the partial results (two passes, each one invocation per output).
// Bindings: @0 uniform Params, @1 x (read), @2 out. Reads are 4-wide where a chunk allows.

struct Params {
  rows: u32,
  cols: u32,
  chunks: u32,
  chunk_len: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 64;

// WGSL rejects infinities in constant expressions, so they are made at run time from their bits.
fn init_sum() -> f32 { return 0.0; }
fn init_max() -> f32 { var bits = 0xff800000u; return bitcast<f32>(bits); }
fn init_min() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
fn combine_sum(acc: f32, v: f32) -> f32 { return acc + v; }
fn combine_max(acc: f32, v: f32) -> f32 { return max(acc, v); }
fn combine_min(acc: f32, v: f32) -> f32 { return min(acc, v); }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let task = gid.x + gid.y * nwg.x * WG;
  if (task >= p.rows * p.chunks) { return; }
  let row = task / p.chunks;
  let chunk = task % p.chunks;
  let begin = row * p.cols + chunk * p.chunk_len;
  let end = row * p.cols + min(p.cols, (chunk + 1u) * p.chunk_len);
  // Four independent accumulators break the dependency chain; combined at the end.
  var acc0 = init_{{OP}}();
  var acc1 = init_{{OP}}();
  var acc2 = init_{{OP}}();
  var acc3 = init_{{OP}}();
  var k = begin;
  for (; k + 4u <= end; k += 4u) {
    acc0 = combine_{{OP}}(acc0, x[k]);
    acc1 = combine_{{OP}}(acc1, x[k + 1u]);
    acc2 = combine_{{OP}}(acc2, x[k + 2u]);
    acc3 = combine_{{OP}}(acc3, x[k + 3u]);
  }
  for (; k < end; k++) {
    acc0 = combine_{{OP}}(acc0, x[k]);
  }
  let total = combine_{{OP}}(combine_{{OP}}(acc0, acc1), combine_{{OP}}(acc2, acc3));
  out[task] = total * p.scale;
}
