// Reduction of the middle axis: x viewed as [outer, k, inner] (contiguous) -> out[outer, chunks, inner].
// Invocation (o, c, i) folds x[o, c*chunk_len .. min(k, (c+1)*chunk_len), i] with {{OP}} and writes
// out[o, c, i]. inner = 1 is the row case (each invocation walks one contiguous row); inner > 1 is the
// column case (neighbouring invocations read neighbouring addresses, so reducing leading axes needs no
// transposing copy). With chunks = 1 there is one invocation per output, which suits a few long rows
// badly, so the host then splits k into chunks and runs the kernel again over the partial results.
// {{T}} is f32, or vec4<f32> when inner is a multiple of 4: the host then divides inner by 4 and each
// invocation reduces four neighbouring columns with one wide load per step; {{U}}, {{I}} and {{B}} are
// the u32, i32 and bool types with as many lanes (for include/ieee.wgsl's bit tests).
//
// Entry point `rows`, the GPU-class rung of the row case (inner = 1, T = f32; src/ops/row-variant.ts):
// one workgroup per task instead of one invocation, so a GPU's lanes share a row (or a chunk of one)
// and neighbouring lanes read neighbouring addresses. Invocation t folds positions t, t + WG, ... of
// the chunk into its own accumulator, and the workgroup merges the WG accumulators in a tree in
// workgroup memory with the op's own merge, so every op keeps its semantics below. The same chunks
// and second pass over the partial results apply; on a CPU adapter one invocation per row wins (no
// barriers), and src/ops/reduce.ts chooses.
// Bindings: @0 uniform Params, @1 x (read), @2 out.
//
// Every op folds values into an accumulator (value, weight) and finishes it into the result:
//   sum: value is the running sum (NaN and infinities propagate by IEEE arithmetic); weight unused;
//   max, min: value is the running result and weight a NaN seen, if any (0 otherwise): PyTorch's max
//   and min propagate NaN, but WGSL's built-in max / min return the other operand, so one NaN test
//   per value keeps it, instead of a second select on the running value;
//   logsumexp: value is the running maximum m and weight = sum exp(v - m), so the result
//   m + log(weight) never overflows. A partial result is itself a valid input to a further logsumexp
//   pass, since exp(logsumexp(part)) = the sum over the part: chunks and passes compose exactly.
//   As PyTorch: a NaN makes the result NaN (it turns the weight NaN, which stays NaN), and +inf
//   gives +inf (equal values add exp(0) = 1, never exp(inf - inf)).
// Includes: grid (the folded 1-D launch), reduce_chunks (which range of which line a task folds),
// reduce_split (that split's fields of Params) and ieee (NaN tests).

#include "grid"
#include "reduce_chunks"

struct Params {
#include "reduce_split"
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{T}}>;

alias T = {{T}};
alias F = T;
alias FU = {{U}};
alias FI = {{I}};
alias FB = {{B}};

#include "ieee"

/**
 * Value `at` of x (an element, or 4 of them when T is a vec4): every read of x goes through here, so that
 * src/ops/fusion.ts can replace this one function to fuse the elementwise ops that produce x into the
 * reduction's loads (x then never reaches memory).
 */
fn load_x(at: u32) -> T {
  return x[at];
}

struct Acc {
  value: T,
  weight: T,
}

// WGSL rejects infinities in constant expressions, so they are made at run time from their bits.
fn positive_infinity() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
const FLT_MAX: f32 = 0x1.fffffep+127f; // the largest finite f32

fn start_sum() -> Acc { return Acc(T(0.0), T(0.0)); }
fn fold_sum(a: Acc, v: T) -> Acc { return Acc(a.value + v, a.weight); }
fn merge_sum(a: Acc, b: Acc) -> Acc { return fold_sum(a, b.value); }
fn finish_sum(a: Acc) -> T { return a.value * p.scale; }

fn start_max() -> Acc { return Acc(T(-positive_infinity()), T(0.0)); }
fn fold_max(a: Acc, v: T) -> Acc { return Acc(max(a.value, v), select(a.weight, v, is_nan(v))); }
fn merge_max(a: Acc, b: Acc) -> Acc { return Acc(max(a.value, b.value), select(a.weight, b.weight, is_nan(b.weight))); }
fn finish_max(a: Acc) -> T { return keep_nan(a.weight, a.value); }

fn start_min() -> Acc { return Acc(T(positive_infinity()), T(0.0)); }
fn fold_min(a: Acc, v: T) -> Acc { return Acc(min(a.value, v), select(a.weight, v, is_nan(v))); }
fn merge_min(a: Acc, b: Acc) -> Acc { return Acc(min(a.value, b.value), select(a.weight, b.weight, is_nan(b.weight))); }
fn finish_min(a: Acc) -> T { return keep_nan(a.weight, a.value); }

// The running maximum starts at -FLT_MAX rather than -inf, so that exp(v - m) is never exp(-inf + inf):
// inputs of -inf then add exp(-inf) = 0, and an all -inf (or empty) line keeps weight 0 and gives -inf.
fn start_logsumexp() -> Acc { return Acc(T(-FLT_MAX), T(0.0)); }
// exp(d) for d <= 0 (or NaN), 0 below -104 where it underflows anyway: the built-in's exp(-inf) is
// not promised to be 0.
fn exp_nonpositive(d: T) -> T { return select(exp(d), T(0.0), d < T(-104.0)); }
// One exp per value: a new maximum rescales the weight by exp(m - v), otherwise v adds exp(v - m).
fn fold_logsumexp(a: Acc, v: T) -> Acc {
  let e = select(select(exp_nonpositive(-abs(v - a.value)), T(1.0), v == a.value), v, is_nan(v));
  return Acc(max(a.value, v), select(a.weight + e, a.weight * e + 1.0, v > a.value));
}
fn merge_logsumexp(a: Acc, b: Acc) -> Acc {
  let m = max(a.value, b.value);
  let ea = select(exp_nonpositive(a.value - m), T(1.0), a.value == m);
  let eb = select(exp_nonpositive(b.value - m), T(1.0), b.value == m);
  return Acc(m, a.weight * ea + b.weight * eb);
}
fn finish_logsumexp(a: Acc) -> T {
  return keep_nan(a.weight, select(a.value + log(a.weight), T(-positive_infinity()), a.weight == T(0.0)));
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= task_count()) { return; }
  let chunk = chunk_of(task);
  let end = chunk.end;
  let stride = p.inner;
  // Four independent accumulators break the dependency chain; merged at the end.
  var acc0 = start_{{OP}}();
  var acc1 = start_{{OP}}();
  var acc2 = start_{{OP}}();
  var acc3 = start_{{OP}}();
  var k = chunk.begin;
  var at = chunk.first;
  for (; k + 4u <= end; k += 4u) {
    acc0 = fold_{{OP}}(acc0, load_x(at));
    acc1 = fold_{{OP}}(acc1, load_x(at + stride));
    acc2 = fold_{{OP}}(acc2, load_x(at + 2u * stride));
    acc3 = fold_{{OP}}(acc3, load_x(at + 3u * stride));
    at += 4u * stride;
  }
  for (; k < end; k++) {
    acc0 = fold_{{OP}}(acc0, load_x(at));
    at += stride;
  }
  out[task] = finish_{{OP}}(merge_{{OP}}(merge_{{OP}}(acc0, acc1), merge_{{OP}}(acc2, acc3)));
}

// Acc of T so the module compiles for either T; the host runs `rows` with T = f32 only. (The f32 tree
// of include/workgroup_sum cannot merge max, min or logsumexp accumulators, hence this one.)
var<workgroup> partials: array<Acc, WG>;

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  // The task depends on workgroup builtins only, so this return is uniform and the barriers stay legal.
  let task = group.x + group.y * groups.x;
  if (task >= task_count()) { return; }
  let chunk = chunk_of(task);
  let end = chunk.first + (chunk.end - chunk.begin);
  var own = start_{{OP}}();
  for (var at = chunk.first + t; at < end; at += WG) {
    own = fold_{{OP}}(own, load_x(at));
  }
  partials[t] = own;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (t < half) { partials[t] = merge_{{OP}}(partials[t], partials[t + half]); }
    workgroupBarrier();
  }
  if (t == 0u) { out[task] = finish_{{OP}}(partials[0]); }
}
