// Counter-based random numbers: Philox-4x32-10 (Salmon et al., SC 2011) and the distributions built
// on it. A draw is a pure function of (key, counter), so the numbers do not depend on the workgroup
// size, the launch shape, the adapter or the order in which invocations run.
//
// Bindings: @0 uniform Params, @1 out: array<{{T}}>, @2 probs: array<f32> (read; bernoulli and
// multinomial only), @3 check_flag (multinomial only). {{T}} is the output element type (f32, i32 or u32).
//
// Elementwise entry points (draw_bits, _uniform, _normal, _bernoulli, _bernoulli_scalar, _randint):
// invocation g makes one Philox block from the counter (counter0 + g, counter1 + carry, counter2,
// counter3) and writes outputs 4g .. 4g + 3 from its four 32-bit words (fewer in the last block).
// src/ops/random.ts puts the generator's per-draw offset in counter2 / counter3, so every draw has
// its own 2^64 blocks.
// draw_multinomial: invocation j is sample j % samples of row j / samples; its uniform is word j % 4 of
// block j / 4 (the value rand() would give element j), and it scans the row's `categories` weights.
// The first sample of each row also checks the row and reports a bad one to the runtime's check flag
// (@3, include/check_flag.wgsl) with the row number: at site `site_invalid` a weight that is NaN,
// infinite or negative (a logit that is NaN or +Infinity), at `site_empty` a row with nothing to draw
// (weights all 0 or summing past the f32 range; logits all -Infinity).
// Grid: 1-D, folded into 2-D past 65535 workgroups (include/grid).
// Includes: grid (the folded 1-D launch) and check_flag (reports a bad row to multinomial's caller).

#include "grid"

struct Params {
  n: u32,              // number of outputs
  key_lo: u32,         // the 64-bit key (the seed)
  key_hi: u32,
  counter0: u32,       // the counter of block 0; block g adds g to the low 64 bits
  counter1: u32,
  counter2: u32,
  counter3: u32,
  scale: f32,          // uniform: scale * u + shift, where u is in [0, 1); normal: shift + scale * z
  shift: f32,
  upper: f32,          // uniform: a value that rounds up to `upper` is mapped to `shift` (as PyTorch does)
  prob: f32,           // bernoulli_scalar: P(out = value)
  value: f32,          // bernoulli, bernoulli_scalar: the output when the coin comes up
  low: i32,            // randint: low + floor(word * span / 2^32); span 0 stands for 2^32
  span: u32,
  categories: u32,     // multinomial: row length K, samples per row, and whether rows hold logits
  samples: u32,
  from_logits: u32,
  site_invalid: u32,   // multinomial: check sites for bad rows (see above)
  site_empty: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(2) var<storage, read> probs: array<f32>;
@group(0) @binding(3) var<storage, read_write> check_flag: array<atomic<u32>, 4>;

#include "check_flag"

const PHILOX_M0: u32 = 0xd2511f53u;
const PHILOX_M1: u32 = 0xcd9e8d57u;
const PHILOX_W: vec2<u32> = vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
const INV_2_24: f32 = 5.9604644775390625e-8;   // 2^-24
const TWO_PI: f32 = 6.283185307179586;
const LN_2: f32 = 0.6931471805599453;
const SQRT_HALF: f32 = 0.7071067811865476;

// The 64-bit product a * b as (high, low) words. WGSL has no 64-bit integers, so the high word is
// assembled from the four 16 x 16-bit partial products; `middle` collects the carries (< 2^18).
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lo_lo = a_lo * b_lo;
  let lo_hi = a_lo * b_hi;
  let hi_lo = a_hi * b_lo;
  let middle = (lo_lo >> 16u) + (lo_hi & 0xffffu) + (hi_lo & 0xffffu);
  let high = a_hi * b_hi + (lo_hi >> 16u) + (hi_lo >> 16u) + (middle >> 16u);
  return vec2<u32>(high, a * b);
}

// Philox-4x32-10: ten rounds of two 32 x 32 -> 64-bit multiplies, with a Weyl-sequence key schedule.
fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round_index = 0u; round_index < 10u; round_index++) {
    let p0 = mulhilo(PHILOX_M0, c.x);
    let p1 = mulhilo(PHILOX_M1, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k += PHILOX_W;
  }
  return c;
}

// The four words of block g (the counter's low 64 bits plus g, with the carry).
fn philox_block(g: u32) -> vec4<u32> {
  let c0 = p.counter0 + g;
  let carry = select(0u, 1u, c0 < g);
  return philox4x32_10(vec4<u32>(c0, p.counter1 + carry, p.counter2, p.counter3), vec2<u32>(p.key_lo, p.key_hi));
}

// The top 24 bits of each word as a float in [0, 1): every value is exact, and 1 is never reached.
fn unit_floats(words: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(words >> vec4<u32>(8u)) * INV_2_24;
}

// log(x) for x > 0 with a small relative error everywhere, 1 included: the builtin log may have an
// absolute error of 2^-21 near 1, which is large relative to log(x) there. x = m 2^e with m in
// [sqrt(1/2), sqrt(2)); log m = 2 atanh(f) with f = (m - 1) / (m + 1), |f| <= 0.172, by its series.
fn log_accurate(x: f32) -> f32 {
  let parts = frexp(x);
  let low_half = parts.fract < SQRT_HALF;
  let m = select(parts.fract, 2.0 * parts.fract, low_half);
  let e = f32(parts.exp) - select(0.0, 1.0, low_half);
  let f = (m - 1.0) / (m + 1.0);
  let s = f * f;
  return e * LN_2 + 2.0 * f * (1.0 + s * (1.0 / 3.0 + s * (1.0 / 5.0 + s * (1.0 / 7.0 + s * (1.0 / 9.0)))));
}

// (cos, sin) of 2 pi t for t in [-1/2, 1/2], to about an ulp (the builtins may be off by 2^-11). The
// nearest quarter turn is taken out exactly, leaving |x| <= pi/4, where the Taylor series to x^9 and
// x^10 are within 3e-9.
fn cos_sin_turns(t: f32) -> vec2<f32> {
  let quarter_turns = round(4.0 * t);
  let x = TWO_PI * (t - 0.25 * quarter_turns);
  let x2 = x * x;
  let s = x * (1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (1.0 / 362880.0)))));
  let c = 1.0 + x2 * (-0.5 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40320.0 + x2 * (-1.0 / 3628800.0)))));
  switch (i32(quarter_turns) & 3) {
    case 1: { return vec2<f32>(-s, c); }
    case 2: { return vec2<f32>(-c, -s); }
    case 3: { return vec2<f32>(s, -c); }
    default: { return vec2<f32>(c, s); }
  }
}

// Box-Muller: two standard normals from two words. The radius uses (top 24 bits + 1) / 2^24, which is
// in (0, 1], so the log is finite (|z| <= 5.77); the angle is 2 pi (u - 1/2) for u in [0, 1).
fn box_muller(radius_word: u32, angle_word: u32) -> vec2<f32> {
  let radius = sqrt(-2.0 * log_accurate(f32((radius_word >> 8u) + 1u) * INV_2_24));
  return radius * cos_sin_turns(f32(angle_word >> 8u) * INV_2_24 - 0.5);
}

// floor(word * span / 2^32): the high word of the product (span 0 stands for 2^32: the word itself).
fn scale_to_span(word: u32) -> u32 {
  return select(mulhilo(word, p.span).x, word, p.span == 0u);
}

// Stores the four outputs of the block that starts at `first`, or the ones below n in the last block.
fn write4(first: u32, v: vec4<{{T}}>) {
  if (first + 3u < p.n) {
    out[first] = v.x;
    out[first + 1u] = v.y;
    out[first + 2u] = v.z;
    out[first + 3u] = v.w;
    return;
  }
  for (var lane = 0u; first + lane < p.n; lane++) {
    out[first + lane] = v[lane];
  }
}

@compute @workgroup_size(WG)
fn draw_bits(grid: Grid) {
  let g = flat_index(grid);
  if (4u * g >= p.n) { return; }
  write4(4u * g, vec4<{{T}}>(philox_block(g)));
}

@compute @workgroup_size(WG)
fn draw_uniform(grid: Grid) {
  let g = flat_index(grid);
  if (4u * g >= p.n) { return; }
  let v = p.scale * unit_floats(philox_block(g)) + p.shift;
  write4(4u * g, vec4<{{T}}>(select(v, vec4<f32>(p.shift), v >= vec4<f32>(p.upper))));
}

@compute @workgroup_size(WG)
fn draw_normal(grid: Grid) {
  let g = flat_index(grid);
  if (4u * g >= p.n) { return; }
  let words = philox_block(g);
  let z = vec4<f32>(box_muller(words.x, words.y), box_muller(words.z, words.w));
  write4(4u * g, vec4<{{T}}>(p.shift + p.scale * z));
}

@compute @workgroup_size(WG)
fn draw_bernoulli(grid: Grid) {
  let g = flat_index(grid);
  let first = 4u * g;
  if (first >= p.n) { return; }
  let last = p.n - 1u;
  let q = vec4<f32>(probs[first], probs[min(first + 1u, last)], probs[min(first + 2u, last)], probs[min(first + 3u, last)]);
  write4(first, vec4<{{T}}>(select(vec4<f32>(0.0), vec4<f32>(p.value), unit_floats(philox_block(g)) < q)));
}

@compute @workgroup_size(WG)
fn draw_bernoulli_scalar(grid: Grid) {
  let g = flat_index(grid);
  if (4u * g >= p.n) { return; }
  write4(4u * g, vec4<{{T}}>(select(vec4<f32>(0.0), vec4<f32>(p.value), unit_floats(philox_block(g)) < vec4<f32>(p.prob))));
}

@compute @workgroup_size(WG)
fn draw_randint(grid: Grid) {
  let g = flat_index(grid);
  if (4u * g >= p.n) { return; }
  let words = philox_block(g);
  let steps = vec4<u32>(scale_to_span(words.x), scale_to_span(words.y), scale_to_span(words.z), scale_to_span(words.w));
  // Two's-complement addition in u32 gives low + steps for every low and span the caller allows.
  write4(4u * g, vec4<{{T}}>(bitcast<vec4<i32>>(vec4<u32>(bitcast<u32>(p.low)) + steps)));
}

// A row entry's weight: max(p, 0) for probabilities, exp(logit - largest) for logits.
fn category_weight(i: u32, largest: f32) -> f32 {
  if (p.from_logits != 0u) { return exp(probs[i] - largest); }
  return max(probs[i], 0.0);
}

const EXPONENT_MASK: u32 = 0x7f800000u;
const NEG_INFINITY_BITS: u32 = 0xff800000u;

// Whether a value is NaN or infinite, tested on the bits (compilers may assume floats are finite).
fn non_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & EXPONENT_MASK) == EXPONENT_MASK;
}

// Reports the row starting at row_start if a weight is NaN, infinite or negative (a logit NaN or
// +Infinity), or if it has nothing to draw from.
fn check_row(row: u32, row_start: u32, row_end: u32, largest: f32, total: f32) {
  for (var i = row_start; i < row_end; i++) {
    let v = probs[i];
    let bad = select(non_finite(v) || v < 0.0, non_finite(v) && bitcast<u32>(v) != NEG_INFINITY_BITS, p.from_logits != 0u);
    if (bad) {
      report_check(p.site_invalid, i32(row));
      return;
    }
  }
  let empty = select(!(total > 0.0) || non_finite(total), bitcast<u32>(largest) == NEG_INFINITY_BITS, p.from_logits != 0u);
  if (empty) { report_check(p.site_empty, i32(row)); }
}

// Inverse CDF: the first category whose running sum of weights exceeds u * total. Zero weights are
// never chosen. If rounding leaves u * total at or above the final sum, the last category with
// positive weight is taken; a row with no positive weight gives -1.
@compute @workgroup_size(WG)
fn draw_multinomial(grid: Grid) {
  let j = flat_index(grid);
  if (j >= p.n) { return; }
  let row_start = (j / p.samples) * p.categories;
  let row_end = row_start + p.categories;
  var largest = 0.0;
  if (p.from_logits != 0u) {
    largest = probs[row_start];
    for (var i = row_start + 1u; i < row_end; i++) { largest = max(largest, probs[i]); }
  }
  var total = 0.0;
  for (var i = row_start; i < row_end; i++) { total += category_weight(i, largest); }
  if (j % p.samples == 0u) { check_row(j / p.samples, row_start, row_end, largest, total); }
  let threshold = unit_floats(philox_block(j / 4u))[j % 4u] * total;
  var cumulative = 0.0;
  var chosen = -1;
  for (var i = row_start; i < row_end; i++) {
    let weight = category_weight(i, largest);
    if (weight > 0.0) { chosen = i32(i - row_start); }
    cumulative += weight;
    if (cumulative > threshold) { break; }
  }
  out[j] = {{T}}(chosen);
}
