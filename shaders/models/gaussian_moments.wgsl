// Weighted Gaussian moments, the M-step statistics of the Gaussian mixture and the Gaussian HMM (and
// the centre updates of k-means, with one-hot weights): for each component k and each chunk of
// samples, the weighted sums
//   n_k = Σ r_nk,   s_k = Σ r_nk d_n,   S_k = Σ r_nk d_n d_nᵀ,   with d_n = x_n - c_k,
// where r are the responsibilities (mixture) or state posteriors (HMM) and c_k is a per-component
// shift (the means the E-step just used). Shifted sums keep f32 accurate
// when the data sit far from the origin; the host then forms μ_k = c_k + s_k / n_k and
// Σ_k = S_k / n_k - (μ_k - c_k)(μ_k - c_k)ᵀ in float64. Each chunk writes its own partial sums and the
// host adds the chunks with sum(0), so every output is a short serial sum plus a tree of partials.
// Bindings: @0 uniform Params, @1 x [N, Dp] (read), @2 resp [N, K] (read), @3 shift [K, Dp] (read),
// @4 partial (write, vec4s, layout per entry point).
// Features are padded to Dp, a multiple of 4, with zeros (in x and the shift): Bp = Dp / 4 blocks.
// Grid: 1-D, folded into 2-D past 65535 workgroups. Tasks that share a chunk are neighbours, so a workgroup walks the same samples in step. A zero responsibility
// (common once clusters separate: exp underflows) skips the sample.
//
// full: with the augmented d' = [d (Dp), 1, 0, 0, 0] of B = Bp + 1 blocks, the 4B x 4B matrix
//   Σ r d' d'ᵀ holds all three sums: [i, j] = S_kij, [i, Dp] = s_ki, [Dp, Dp] = n_k.
//   It is symmetric, so only its upper blocks (row block <= column block) are computed: P = B(B+1)/2
//   pairs, in row-major order. Task (chunk, k, pair) accumulates one 4 x 4 block as four vec4
//   columns: per sample, two vec4 loads and 16 multiply-adds.
//   Layout: partial [chunks, K, P, 4 columns] of vec4 (each block column-major).
// diag: task (chunk, k, block) accumulates n_k and blocks of s_k and of diag S_k.
//   Layout: partial [chunks, K, 1 + 2 Bp] of vec4 = [(n_k, 0, 0, 0), s_k (Bp), diag S_k (Bp)];
//   n_k is written by the block-0 task.
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  n: u32,          // samples
  k: u32,          // components
  chunks: u32,
  chunk_len: u32,
  blocks: u32,     // Bp = Dp / 4
  tasks: u32,      // per component and chunk: P (full) or Bp (diag)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> resp: array<f32>;
@group(0) @binding(3) var<storage, read> shift: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> partial: array<vec4<f32>>;

const ONE = vec4<f32>(1.0, 0.0, 0.0, 0.0);

struct Task {
  chunk: u32,
  k: u32,
  /** The pair (full) or block (diag) index. */
  part: u32,
  /** The chunk's samples: [first, end). */
  first: u32,
  end: u32,
}

fn task_of(grid: Grid) -> Task {
  let task = flat_index(grid);
  let chunk = task / (p.tasks * p.k);
  return Task(chunk, (task / p.tasks) % p.k, task % p.tasks, chunk * p.chunk_len, min(p.n, (chunk + 1u) * p.chunk_len));
}

@compute @workgroup_size(WG)
fn full(grid: Grid) {
  let t = task_of(grid);
  if (t.chunk >= p.chunks) { return; }
  // Pair index -> (row block, column block), row-major over the upper triangle of B x B blocks.
  let b = p.blocks + 1u;
  var row_block = 0u;
  var rest = t.part;
  while (rest >= b - row_block) {
    rest -= b - row_block;
    row_block++;
  }
  let col_block = row_block + rest;
  // Block Bp of d' is the constant (1, 0, 0, 0); the others are x - c.
  let row_is_one = row_block == p.blocks;
  let col_is_one = col_block == p.blocks;
  let row_at = min(row_block, p.blocks - 1u);
  let col_at = min(col_block, p.blocks - 1u);
  let c_row = shift[t.k * p.blocks + row_at];
  let c_col = shift[t.k * p.blocks + col_at];
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  for (var n = t.first; n < t.end; n++) {
    let r = resp[n * p.k + t.k];
    if (r == 0.0) { continue; }
    let w = r * select(x[n * p.blocks + row_at] - c_row, ONE, row_is_one);
    let v = select(x[n * p.blocks + col_at] - c_col, ONE, col_is_one);
    a0 = fma(w, vec4<f32>(v.x), a0);
    a1 = fma(w, vec4<f32>(v.y), a1);
    a2 = fma(w, vec4<f32>(v.z), a2);
    a3 = fma(w, vec4<f32>(v.w), a3);
  }
  let out = 4u * ((t.chunk * p.k + t.k) * p.tasks + t.part);
  partial[out] = a0;
  partial[out + 1u] = a1;
  partial[out + 2u] = a2;
  partial[out + 3u] = a3;
}

@compute @workgroup_size(WG)
fn diag(grid: Grid) {
  let t = task_of(grid);
  if (t.chunk >= p.chunks) { return; }
  let c = shift[t.k * p.blocks + t.part];
  var total = 0.0;
  var first = vec4<f32>(0.0);
  var second = vec4<f32>(0.0);
  for (var n = t.first; n < t.end; n++) {
    let r = resp[n * p.k + t.k];
    if (r == 0.0) { continue; }
    let d = x[n * p.blocks + t.part] - c;
    let weighted = r * d;
    total += r;
    first += weighted;
    second = fma(weighted, d, second);
  }
  let out = (t.chunk * p.k + t.k) * (1u + 2u * p.blocks);
  if (t.part == 0u) { partial[out] = vec4<f32>(total, 0.0, 0.0, 0.0); }
  partial[out + 1u + t.part] = first;
  partial[out + 1u + p.blocks + t.part] = second;
}
