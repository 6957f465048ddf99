// Power iteration for spectral normalisation (Miyato et al., 2018): estimates the top singular
// vectors of a weight W viewed as a matrix [rows, cols] (a convolution's [out, in * kH * kW]):
//   v <- normalize(Wᵀ u),  u <- normalize(W v),   repeated `iterations` times, in place,
// after which σ(W) ≈ uᵀ W v (the host computes that product with tensor ops, so its gradient flows
// to W while u and v stay constants, as in PyTorch's spectral_norm).
// Bindings: @0 uniform Params, @1 w [rows * cols] (read), @2 u [rows] (read_write), @3 v [cols] (read_write).
// One workgroup does it all: the vectors are short (a layer's fan-in or fan-out) and each pass over W
// is rows * cols multiply-adds. Invocation t owns entries t, t + WG, t + 2 WG, ... of the vector it
// computes; in the Wᵀ u pass neighbouring invocations read neighbouring columns (coalesced), in the
// W v pass each invocation reads its own rows contiguously. The squared norm of the new vector is
// summed by a tree in workgroup memory; vectors are divided by max(norm, eps) as F.normalize does.
// Includes: workgroup_sum (the tree sum).

struct Params {
  rows: u32,
  cols: u32,
  iterations: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> u: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;

override WG: u32 = 256;

#include "workgroup_sum"

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  for (var iteration = 0u; iteration < p.iterations; iteration++) {
    // v = Wᵀ u
    var squares = 0.0;
    for (var j = t; j < p.cols; j += WG) {
      var s = 0.0;
      for (var i = 0u; i < p.rows; i++) { s = fma(w[i * p.cols + j], u[i], s); }
      v[j] = s;
      squares = fma(s, s, squares);
    }
    let v_scale = 1.0 / max(sqrt(workgroup_sum(t, squares)), p.eps);
    for (var j = t; j < p.cols; j += WG) { v[j] *= v_scale; }
    storageBarrier();
    workgroupBarrier();
    // u = W v
    squares = 0.0;
    for (var i = t; i < p.rows; i += WG) {
      var s = 0.0;
      let row = i * p.cols;
      for (var j = 0u; j < p.cols; j++) { s = fma(w[row + j], v[j], s); }
      u[i] = s;
      squares = fma(s, s, squares);
    }
    let u_scale = 1.0 / max(sqrt(workgroup_sum(t, squares)), p.eps);
    for (var i = t; i < p.rows; i += WG) { u[i] *= u_scale; }
    storageBarrier();
    workgroupBarrier();
  }
}
