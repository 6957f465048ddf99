// The work split shared by reduce.wgsl and argreduce.wgsl: x viewed as [outer, k, inner]
// (contiguous), the k values of a line (o, i) lying `inner` apart, and each line cut into `chunks`
// ranges of chunk_len positions (the last one shorter). Invocation `task` = (o, chunk, i), inner
// fastest, folds one range and writes out[task]; there are outer * chunks * inner of them.
// Needs the includer's Params to hold include/reduce_split's fields (outer, k, inner, chunks and
// chunk_len).

fn task_count() -> u32 {
  return p.outer * p.chunks * p.inner;
}

/** A task's range: positions [begin, end) along k, and `first`, the offset in x of position begin. */
struct Chunk {
  begin: u32,
  end: u32,
  first: u32,
}

fn chunk_of(task: u32) -> Chunk {
  let i = task % p.inner;
  let chunk = (task / p.inner) % p.chunks;
  let o = task / (p.inner * p.chunks);
  let begin = chunk * p.chunk_len;
  return Chunk(begin, min(p.k, begin + p.chunk_len), (o * p.k + begin) * p.inner + i);
}
