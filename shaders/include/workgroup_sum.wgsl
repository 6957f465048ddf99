// A sum across one workgroup: each invocation passes its own partial value and all of them get the
// total, from a tree in workgroup memory (WG must be a power of two). Call it from uniform control
// flow (every invocation of the workgroup, the same number of times): it holds barriers.
// Needs the includer to declare `override WG: u32` (include/grid does).

var<workgroup> partial: array<f32, WG>;

fn workgroup_sum(t: u32, value: f32) -> f32 {
  partial[t] = value;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (t < half) { partial[t] += partial[t + half]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}
