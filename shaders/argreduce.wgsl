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
// Includes: grid (the folded 1-D launch), reduce_chunks (which range of which line a task
// searches, as in reduce.wgsl) and reduce_split (that split's fields of Params).

#include "grid"
#include "reduce_chunks"

struct Params {
#include "reduce_split"
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out_value: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out_index: array<i32>;
@group(0) @binding(4) var<storage, read> in_index: array<i32>;

const IS_FLOAT: bool = {{FLOAT}};
// On the bits, since a compiler may fold `v != v`; never for integer types.
fn is_nan(v: {{T}}) -> bool { return IS_FLOAT && (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= task_count()) { return; }
  let chunk = chunk_of(task);
  // The host never makes an empty chunk, so the range's first element starts the search.
  var at = chunk.first;
  var best = x[at];
  var k = chunk.begin;
  var best_position = i32({{POSITION}});
  for (k = chunk.begin + 1u; k < chunk.end; k++) {
    at += p.inner;
    let v = x[at];
    if (!is_nan(best) && (v {{BEATS}} best || is_nan(v))) {
      best = v;
      best_position = i32({{POSITION}});
    }
  }
  out_value[task] = best;
  out_index[task] = best_position;
}
