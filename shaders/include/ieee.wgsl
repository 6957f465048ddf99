// IEEE-754 special values, and the elementary functions whose special cases and accuracy the
// elementwise kernels promise (PyTorch's semantics), written out here rather than left to the
// adapter: WGSL lets an implementation assume that NaN and infinities never occur, its built-in
// min / max return the other operand of a NaN, its `!=` compiles to an ordered comparison (false
// with NaN), and its accuracy bounds are loose (exp: 3 + 2|x| ULP; log: 2^-21 absolute near 1;
// pow: whatever exp2(y log2 x) gives; SwiftShader's log(0) is -88 and its pow(0, -1) 1.7e38).
// NaN is tested on the bits, never as `x != x`, which a compiler that assumes no NaN may fold.
// The including shader defines the lane types: F (f32 or vec4<f32>), and FU, FI and FB, the u32,
// i32 and bool types with as many lanes.

// WGSL rejects NaN and infinities in constant expressions, so they are made at run time from their
// bit patterns (a `var` keeps the bitcast out of constant evaluation).
fn nan_f() -> F { var bits = 0x7fc00000u; return F(bitcast<f32>(bits)); }
fn inf_f() -> F { var bits = 0x7f800000u; return F(bitcast<f32>(bits)); }

fn is_nan(v: F) -> FB { return (bitcast<FU>(v) & FU(0x7fffffffu)) > FU(0x7f800000u); }
fn is_inf(v: F) -> FB { return (bitcast<FU>(v) & FU(0x7fffffffu)) == FU(0x7f800000u); }
/** +0 or -0, on the bits, so that a subnormal is never taken for zero on an adapter that flushes them. */
fn is_zero(v: F) -> FB { return (bitcast<FU>(v) & FU(0x7fffffffu)) == FU(0u); }
/** The sign bit: true for -0 and -inf too, where `v < 0` is false or ambiguous. */
fn sign_bit(v: F) -> FB { return (bitcast<FU>(v) & FU(0x80000000u)) != FU(0u); }
/** Neither operand is NaN: IEEE comparisons are false otherwise (and `ne` true). */
fn ordered(x: F, y: F) -> FB { return !(is_nan(x) | is_nan(y)); }
/** NaN in, NaN out: `r` where v is a number, v itself where it is NaN. */
fn keep_nan(v: F, r: F) -> F { return select(r, v, is_nan(v)); }
/** max and min that return NaN when either operand is NaN (torch.maximum / torch.minimum). */
fn max_nan(x: F, y: F) -> F { return select(select(max(x, y), x, is_nan(x)), y, is_nan(y)); }
fn min_nan(x: F, y: F) -> F { return select(select(min(x, y), x, is_nan(x)), y, is_nan(y)); }

// e^x to ~1 ULP (the built-in exp is 2-4e-6 relative off on SwiftShader past |x| ~ 30): x = n ln 2 + r
// with |r| <= ln(2)/2, r taken with ln 2 split in two (Cody and Waite) so that it keeps its digits,
// e^r = 1 + r + r^2 Q(r) with Q fitted in float64 (error 7.5e-9), and 2^n applied in two halves so
// that neither ldexp leaves the exponent range. Below -104 the result is 0 and above ln(FLT_MAX)
// inf; NaN stays NaN.
const LOG2_E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693145751953125; // 15 significant bits: n * LN2_HI is exact for |n| < 512
const LN2_LO: f32 = 1.4286068203094173e-06;
const EXP_OVERFLOW: f32 = 88.72283; // the largest f32 whose exp is finite
fn exp_accurate(x: F) -> F {
  let xc = clamp(x, F(-104.0), F(89.0));
  let n = round(xc * LOG2_E);
  let r = (xc - n * LN2_HI) - n * LN2_LO;
  var q = F(1.3941109561468844e-3);
  q = q * r + F(8.363175255708007e-3);
  q = q * r + F(4.166637529840267e-2);
  q = q * r + F(1.666657700595063e-1);
  q = q * r + F(5.000000026926884e-1);
  let er = F(1.0) + r + r * r * q;
  let ni = FI(n);
  let half = ni / 2;
  let e = ldexp(ldexp(er, half), ni - half);
  let ranged = select(select(e, inf_f(), x > F(EXP_OVERFLOW)), F(0.0), x < F(-104.0));
  return keep_nan(x, ranged);
}

// 2 atanh(s) = log((1 + s) / (1 - s)) for |s| <= 1/3, as 2 s (1 + s^2 P(s^2)) with P fitted in
// float64 (relative error 1.4e-9): the core of log and log1p, which pass s = f / (2 + f) for
// log(1 + f), exact in relative terms however small f is (the built-in log is only 2^-21 absolute
// near 1, i.e. ~1e-5 relative at 1 + 1e-2).
fn two_atanh(s: F) -> F {
  let s2 = s * s;
  var p = F(1.0860418952510055e-1);
  p = p * s2 + F(1.1024008376087395e-1);
  p = p * s2 + F(1.4284101042375097e-1);
  p = p * s2 + F(2.000011526523584e-1);
  p = p * s2 + F(3.333333335417287e-1);
  return 2.0 * s + 2.0 * s * s2 * p;
}

// log(1 + u) for u in [0, 1] (softplus's tail): relative accuracy ~1 ULP even for u = 1e-30.
fn log1p_unit(u: F) -> F { return two_atanh(u / (F(2.0) + u)); }

// Natural log to ~1 ULP with PyTorch's special values: log(+-0) = -inf, log(x < 0) = NaN,
// log(inf) = inf, NaN stays NaN. x = m 2^e with m in [sqrt(1/2), sqrt(2)) read off the bits, so
// subnormal inputs (which SwiftShader's log flushes to 0, giving -88) are exact too: their mantissa
// bits, converted to a float, are the value times 2^149.
const LN2: f32 = 0.6931471805599453;
fn log_accurate(x: F) -> F {
  let bits = bitcast<FU>(x);
  let subnormal = bits < FU(0x00800000u);
  let normalised = select(bits, bitcast<FU>(F(bits)), subnormal); // positive subnormal: x * 2^149
  // Split off the exponent so that the mantissa m lands in [sqrt(1/2), sqrt(2)): 0x3f3504f3 is
  // sqrt(1/2)'s bit pattern; subtracting it before the shift moves m's upper half down an octave.
  let offset = normalised - FU(0x3f3504f3u);
  let e = F(bitcast<FI>(offset) >> FU(23u)) - select(F(0.0), F(149.0), subnormal);
  let m = bitcast<F>((offset & FU(0x007fffffu)) + FU(0x3f3504f3u));
  let f = m - F(1.0);
  let r = e * LN2_HI + (two_atanh(f / (F(2.0) + f)) + e * LN2_LO);
  // The special values, decided on the bits: zero (either sign), negative (non-zero), +inf.
  var out = select(r, inf_f(), bits == FU(0x7f800000u));
  out = select(out, -inf_f(), is_zero(x));
  out = select(out, nan_f(), bits > FU(0x80000000u));
  return keep_nan(x, out);
}

// x ^ y with C's pow special cases (PyTorch's, on CPU and CUDA): pow(x, 0) = pow(1, y) = 1 even for
// NaN; otherwise NaN in gives NaN; pow(+-0, y) = +-inf / +inf for y < 0 (odd integer / other) and
// +-0 / +0 for y > 0; pow(+-inf, y) likewise the other way round; y = +-inf gives 1, 0 or inf from
// |x| against 1; a finite negative base with a finite non-integer exponent gives NaN; and a negative
// base (-0 and -inf included) with an odd integer exponent flips the sign. In between, the
// magnitude is the built-in pow of |x|, exp2(y log2 |x|).
fn pow_c(x: F, y: F) -> F {
  let ax = abs(x);
  let y_inf = is_inf(y);
  let negative_y = y < F(0.0);
  let integer = !y_inf & (floor(y) == y);
  let odd = integer & (fract(y * 0.5) != F(0.0));
  var m = pow(ax, y);
  m = select(m, select(F(0.0), inf_f(), negative_y), is_zero(x));
  m = select(m, select(inf_f(), F(0.0), negative_y), is_inf(x));
  m = select(m, select(select(F(0.0), inf_f(), (ax > F(1.0)) == (y > F(0.0))), F(1.0), ax == F(1.0)), y_inf);
  var r = select(m, -m, sign_bit(x) & odd);
  r = select(r, nan_f(), (x < F(0.0)) & !is_inf(x) & !integer & !y_inf);
  r = select(r, nan_f(), is_nan(x) | is_nan(y));
  return select(r, F(1.0), is_zero(y) | (bitcast<FU>(x) == FU(0x3f800000u)));
}
