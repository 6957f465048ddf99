// Reporting a failed check to the runtime (Runtime.deferredCheck in src/gpu/runtime.ts): the first
// failure since the flag was last cleared records its site (a number the host maps to an error
// message) and one value (e.g. the bad index); the runtime copies the flag along with its next read
// and throws that message. Site 0 means "not checking" (Runtime.checkIndices = false).
// The including shader declares the flag at a binding of its own:
//   @group(0) @binding(N) var<storage, read_write> check_flag: array<atomic<u32>, 4>;
fn report_check(site: u32, value: i32) {
  if (site == 0u || atomicLoad(&check_flag[0]) != 0u) { return; }
  // The weak exchange may fail spuriously: retry until it succeeds or another record is there.
  loop {
    let attempt = atomicCompareExchangeWeak(&check_flag[0], 0u, site);
    if (attempt.exchanged) {
      atomicStore(&check_flag[1], bitcast<u32>(value));
      return;
    }
    if (attempt.old_value != 0u) { return; }
  }
}
