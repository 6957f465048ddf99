// A product with a weight stored as packed halves: out[m, n] = sum_k a[m, k] * w[n, k], with w (the
// [N, K] weight of a linear layer, read transposed as Linear reads it) held as [N, K / 2] u32 words,
// two IEEE halves per word (element 2j in the low 16 bits; see half_unpack.wgsl). Arithmetic is f32.
// Bindings: @0 uniform Params, @1 a (f32 [M, K], contiguous), @2 w (u32 [N, K / 2]), @3 out (f32 [M, N]).
// Workgroup: 8 x 8 invocations, each 4 rows x 4 columns of outputs = a 32 x 32 tile; x runs along N, y along M.
//
// The idea: a weight row is read once per 32 rows of a, two halves per 32-bit load, widened with
// unpack2x16float (core WGSL: no shader-f16 feature needed), and used for 4 rows held in registers.
// With one row (a token being decoded) three quarters of the arithmetic is on clamped duplicates,
// but the weight, which is what the product waits on, is still read once.
//
// tile_x and tile_y shift the workgroup grid when a launch is split into several dispatches (more
// than 65535 workgroups along one dimension).
//
// Edges: rows and columns are clamped into the matrices, so every load is in bounds, and only the
// stores are guarded. K is even (the host checks), so a word never straddles two rows.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  tile_x: u32,
  tile_y: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> w: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let tile = group.xy + vec2<u32>(p.tile_x, p.tile_y);
  let row = (tile.y * 8u + local.y) * 4u;
  let col = (tile.x * 8u + local.x) * 4u;
  if (row >= p.M || col >= p.N) { return; }
  let words = p.K / 2u;
  // The first word of each of the 4 rows of a (as vec2 pairs) and of each of the 4 rows of w.
  let a_rows = min(vec4<u32>(row, row + 1u, row + 2u, row + 3u), vec4<u32>(p.M - 1u)) * words;
  let w_rows = min(vec4<u32>(col, col + 1u, col + 2u, col + 3u), vec4<u32>(p.N - 1u)) * words;
  var acc = mat4x4<f32>(); // acc[c][r]: column c, row r
  for (var j = 0u; j < words; j++) {
    let w0 = unpack2x16float(w[w_rows.x + j]);
    let w1 = unpack2x16float(w[w_rows.y + j]);
    let w2 = unpack2x16float(w[w_rows.z + j]);
    let w3 = unpack2x16float(w[w_rows.w + j]);
    for (var r = 0u; r < 4u; r++) {
      let x = a[a_rows[r] + j];
      acc[0][r] += dot(x, w0);
      acc[1][r] += dot(x, w1);
      acc[2][r] += dot(x, w2);
      acc[3][r] += dot(x, w3);
    }
  }
  for (var r = 0u; r < 4u; r++) {
    if (row + r >= p.M) { break; }
    for (var c = 0u; c < 4u; c++) {
      if (col + c < p.N) { out[(row + r) * p.N + col + c] = acc[c][r]; }
    }
  }
}
