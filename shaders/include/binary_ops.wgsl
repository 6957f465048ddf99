// The op_* functions of the binary elementwise ops, op(x: T, y: T): included by binary.wgsl and,
// once per operand dtype with the names suffixed, by the fused kernels of src/ops/fusion.ts, so that
// an op gives the same bits fused or not. Comparisons return F (f32 masks with T's lanes). Needs T,
// F, FU, FB, IS_FLOAT and include/ieee.wgsl.

/** NaN lanes of x; never for integer types (whose bits may look like a NaN's). */
fn nan_of(x: T) -> FB { return FB(IS_FLOAT) & is_nan(bitcast<F>(x)); }

fn op_add(x: T, y: T) -> T { return x + y; }
fn op_sub(x: T, y: T) -> T { return x - y; }
fn op_mul(x: T, y: T) -> T { return x * y; }
fn op_div(x: T, y: T) -> T { return x / y; }
fn op_div_int(x: T, y: T) -> T {
  var all_ones = 0xffffffffu; // a var, so that no constant f32 NaN is formed where T is f32
  return select(x / y, bitcast<T>(FU(all_ones)), y == T(0));
}
fn op_maximum(x: T, y: T) -> T { return select(select(max(x, y), x, nan_of(x)), y, nan_of(y)); }
fn op_minimum(x: T, y: T) -> T { return select(select(min(x, y), x, nan_of(x)), y, nan_of(y)); }
fn op_pow(x: F, y: F) -> F { return pow_c(x, y); }
fn ordered_t(x: T, y: T) -> FB { return !(nan_of(x) | nan_of(y)); }
fn op_eq(x: T, y: T) -> F { return select(F(0), F(1), ordered_t(x, y) & (x == y)); }
fn op_ne(x: T, y: T) -> F { return select(F(1), F(0), ordered_t(x, y) & (x == y)); }
fn op_lt(x: T, y: T) -> F { return select(F(0), F(1), ordered_t(x, y) & (x < y)); }
fn op_le(x: T, y: T) -> F { return select(F(0), F(1), ordered_t(x, y) & (x <= y)); }
fn op_gt(x: T, y: T) -> F { return select(F(0), F(1), ordered_t(x, y) & (x > y)); }
fn op_ge(x: T, y: T) -> F { return select(F(0), F(1), ordered_t(x, y) & (x >= y)); }
