// Softmax and log-softmax along one axis, fused: x viewed as [outer, k, inner] (contiguous), one
// invocation per line (o, i), whose k values x[o, 0..k, i] sit at start + j * inner.
//   1. one pass keeps the running maximum m and s = sum exp(v - m), rescaling s by exp(m_old - m_new)
//      when the maximum grows (one exp per value, never exp of a large positive number), in four
//      interleaved accumulators merged at the end;
//   2. a second pass writes, per {{OP}}: softmax exp(v - m) / s, or log_softmax (v - m) - log(s)
//      (v - m is exact for v near m, so values near 1000 keep the digits of small log-probabilities).
// inner = 1 is the last-axis case (each invocation walks a contiguous row); for other axes
// neighbouring invocations read neighbouring addresses, so no transposing copy is needed. {{T}} is
// f32, or vec4<f32> when inner is a multiple of 4 (the host divides inner by 4; four lines at once).
//
// Entry point `rows`, the GPU-class rung for the last axis (inner = 1, T = f32): one workgroup per row
// instead of one invocation, so a GPU's lanes share a row and neighbouring lanes read neighbouring
// addresses. Invocation t folds elements t, t + WG, t + 2 WG, ... into its own Stats, the workgroup
// merges the WG Stats in a tree in workgroup memory, and every invocation writes its elements again.
// On a CPU adapter one invocation per row wins (no barriers); src/ops/softmax.ts chooses.
// Bindings: @0 uniform Params, @1 x (read), @2 out.
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  outer: u32,
  k: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{T}}>;

alias T = {{T}};

// -FLT_MAX rather than -inf starts the maximum, so exp(v - m) never meets -inf - -inf.
const FLT_MAX: f32 = 0x1.fffffep+127f; // the largest finite f32

struct Stats {
  max: T,
  sum_exp: T,
}

fn fold(s: Stats, v: T) -> Stats {
  let e = exp(-abs(v - s.max));
  return Stats(max(s.max, v), select(s.sum_exp + e, s.sum_exp * e + 1.0, v > s.max));
}

fn merge(a: Stats, b: Stats) -> Stats {
  let m = max(a.max, b.max);
  return Stats(m, a.sum_exp * exp(a.max - m) + b.sum_exp * exp(b.max - m));
}

// Per line, a constant computed once from the stats; per element, the output.
fn line_constant_softmax(s: Stats) -> T { return 1.0 / s.sum_exp; }
fn output_softmax(v: T, s: Stats, inv_sum: T) -> T { return exp(v - s.max) * inv_sum; }
fn line_constant_log_softmax(s: Stats) -> T { return log(s.sum_exp); }
fn output_log_softmax(v: T, s: Stats, log_sum: T) -> T { return (v - s.max) - log_sum; }

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= p.outer * p.inner) { return; }
  let stride = p.inner;
  let start = (task / p.inner) * p.k * stride + task % p.inner;
  let empty = Stats(T(-FLT_MAX), T(0.0));
  var s0 = empty;
  var s1 = empty;
  var s2 = empty;
  var s3 = empty;
  var at = start;
  var j = 0u;
  for (; j + 4u <= p.k; j += 4u) {
    s0 = fold(s0, x[at]);
    s1 = fold(s1, x[at + stride]);
    s2 = fold(s2, x[at + 2u * stride]);
    s3 = fold(s3, x[at + 3u * stride]);
    at += 4u * stride;
  }
  for (; j < p.k; j++) {
    s0 = fold(s0, x[at]);
    at += stride;
  }
  let stats = merge(merge(s0, s1), merge(s2, s3));
  let c = line_constant_{{OP}}(stats);
  at = start;
  for (j = 0u; j < p.k; j++) {
    out[at] = output_{{OP}}(x[at], stats, c);
    at += stride;
  }
}

// T-typed so the module compiles for either T; the host runs `rows` with T = f32 only.
var<workgroup> row_max: array<T, WG>;
var<workgroup> row_sum_exp: array<T, WG>;

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  // The row depends on workgroup builtins only, so this return is uniform and the barriers stay legal.
  let row = group.x + group.y * groups.x;
  if (row >= p.outer) { return; }
  let start = row * p.k;
  var own = Stats(T(-FLT_MAX), T(0.0));
  for (var j = t; j < p.k; j += WG) {
    own = fold(own, x[start + j]);
  }
  row_max[t] = own.max;
  row_sum_exp[t] = own.sum_exp;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (t < half) {
      let merged = merge(Stats(row_max[t], row_sum_exp[t]), Stats(row_max[t + half], row_sum_exp[t + half]));
      row_max[t] = merged.max;
      row_sum_exp[t] = merged.sum_exp;
    }
    workgroupBarrier();
  }
  let stats = Stats(row_max[0], row_sum_exp[0]);
  let c = line_constant_{{OP}}(stats);
  for (var j = t; j < p.k; j += WG) {
    out[start + j] = output_{{OP}}(x[start + j], stats, c);
  }
}
