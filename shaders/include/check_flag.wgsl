// Reporting a failed check to the runtime (Runtime.deferredCheck in src/gpu/runtime.ts): the first
// failure since the flag was last cleared records its site (a number the host maps to an error
// message) and one value (e.g. the bad index); the runtime copies the flag along with its next read
// and throws that message. Site 0 means "not checking" (Runtime.checkIndices = false).
// Also the one rule for indices read from a tensor (gather, scatter, index_add), so that the
// backward kernels clamp exactly where the forward ones read.
// The including shader declares the flag at a binding of its own:
//   @group(0) @binding(N) var<storage, read_write> check_flag: array<atomic<u32>, 4>;
fn report_check(site: u32, value: i32) {
  report_check_at(site, value, 0u);
}

/** report_check, also recording where the failure was (e.g. the vec4 of an optimizer's run of parameters). */
fn report_check_at(site: u32, value: i32, where_: u32) {
  if (site == 0u || atomicLoad(&check_flag[0]) != 0u) { return; }
  // The weak exchange may fail spuriously: retry until it succeeds or another record is there.
  loop {
    let attempt = atomicCompareExchangeWeak(&check_flag[0], 0u, site);
    if (attempt.exchanged) {
      atomicStore(&check_flag[1], bitcast<u32>(value));
      atomicStore(&check_flag[2], where_);
      return;
    }
    if (attempt.old_value != 0u) { return; }
  }
}

/** An index read from a tensor, into an axis of `size` entries (size > 0): one outside [0, size) is
 * reported (site `site`, the index as the value) and clamped into the axis, since the GPU cannot
 * throw and must never read out of bounds. */
fn checked_index(site: u32, raw: i32, size: u32) -> u32 {
  if (raw < 0 || raw >= i32(size)) { report_check(site, raw); }
  return clamped_index(raw, size);
}

/** checked_index without the report: where another invocation reports the same index. */
fn clamped_index(raw: i32, size: u32) -> u32 {
  return u32(clamp(raw, 0, i32(size) - 1));
}
