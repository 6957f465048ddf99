// argmax / argmin of the middle axis: x viewed as [outer, k, inner] (contiguous) -> for each
// (o, c, i) the position along k of the largest (smallest) of x[o, c*chunk_len .. (c+1)*chunk_len, i],
// the first one on ties, written with its value to out_index / out_value at [o, c, i].
// As in shaders/reduce.wgsl, a few long lines are split into chunks and the partial results reduced
// by a second pass; that pass reads the partial values as x and takes each winner's position from
// in_index, so {{POSITION}} is `k` on a first pass and `in_index[at]` on a second. Chunks are walked
// in order with a strict comparison, so ties still resolve to the first position.
// {{T}} is the element type (f32, i32, u32); {{BEATS}} is `>` for argmax and `<` for argmin;
// {{FLOAT}} whether T is f32. As PyTorch, a NaN beats every number (argmax and argmin both give the
// first NaN's position); the comparison alone would never pick one, as NaN compares false.
// Bindings: @0 uniform Params, @1 x (read), @2 out_value, @3 out_index, @4 in_index (second pass only).

struct Params {
  outer: u32,
  k: u32,
  inner: u32,
  chunks: u32,
  chunk_len: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out_value: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out_index: array<i32>;
@group(0) @binding(4) var<storage, read> in_index: array<i32>;

override WG: u32 = 64;

const IS_FLOAT: bool = {{FLOAT}};
// On the bits, since a compiler may fold `v != v`; never for integer types.
fn is_nan(v: {{T}}) -> bool { return IS_FLOAT && (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let task = gid.x + gid.y * nwg.x * WG;
  if (task >= p.outer * p.chunks * p.inner) { return; }
  let i = task % p.inner;
  let chunk = (task / p.inner) % p.chunks;
  let o = task / (p.inner * p.chunks);
  let begin = chunk * p.chunk_len;
  let end = min(p.k, begin + p.chunk_len);
  let stride = p.inner;
  // The host never makes an empty chunk, so the line's first element starts the search.
  var at = (o * p.k + begin) * stride + i;
  var best = x[at];
  var k = begin;
  var best_position = i32({{POSITION}});
  for (k = begin + 1u; k < end; k++) {
    at += stride;
    let v = x[at];
    if (!is_nan(best) && (v {{BEATS}} best || is_nan(v))) {
      best = v;
      best_position = i32({{POSITION}});
    }
  }
  out_value[task] = best;
  out_index[task] = best_position;
}
