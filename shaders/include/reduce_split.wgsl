// The fields of reduce_chunks' work split, spliced into the Params of reduce.wgsl and argreduce.wgsl
// as their first fields, where they say #include "reduce_split": x viewed as [outer, k, inner], each
// line of k values cut into `chunks` ranges of chunk_len positions.
  outer: u32,
  k: u32,
  inner: u32,
  chunks: u32,
  chunk_len: u32,