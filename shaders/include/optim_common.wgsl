// Shared by the fused optimizer updates (optim_adam, optim_sgd, optim_rmsprop, optim_adagrad),
// inlined where they say #include "optim_common": the gradient an update follows, training's NaN/Inf
// watch, and the parameter's write-back.
// Needs the includer's Params fields grad_sign, weight_decay, grad_site, param_site and step, its
// `grad` and `param` bindings (array<vec4<f32>>) and include/check_flag's report_check.

/** Gradient vec4 i as the update sees it: sign-flipped when maximizing (grad_sign = -1), plus the
 * coupled L2 term weight_decay * w (0 where the decay is decoupled, as in AdamW). */
fn decayed_grad(i: u32, w: vec4<f32>) -> vec4<f32> {
  return p.grad_sign * grad[i] + p.weight_decay * w;
}

// The watch: the first lane whose gradient or new parameter is NaN or an infinity reports the check
// site p.grad_site or p.param_site with the step count p.step and the vec4's index, which tells the
// host which parameter of a run it was (site 0 when the optimizer's checkFinite is off). It looks where the values are in registers anyway, so watching training costs
// no pass of its own. Lanes past the tensor's end hold whatever the buffer's padding holds and are
// not looked at. Infinity and NaN are told by their bits: a compiler may assume that floats are
// finite and fold a test like `x != x`.
fn non_finite(v: vec4<f32>, tail: vec4<bool>) -> bool {
  return any(((bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu)) >= vec4<u32>(0x7f800000u)) & !tail);
}

fn watch(i: u32, g: vec4<f32>, w_new: vec4<f32>, tail: vec4<bool>) {
  if (non_finite(g, tail)) {
    report_check_at(p.grad_site, i32(p.step), i);
  } else if (non_finite(w_new, tail)) {
    report_check_at(p.param_site, i32(p.step), i);
  }
}

/** Ends an update of vec4 i: watches its gradient and the new parameter w_new, and writes w_new over
 * the old parameter w, except in the lanes past the tensor's end, which keep w. */
fn store_param(i: u32, w: vec4<f32>, w_new: vec4<f32>, tail: vec4<bool>) {
  watch(i, grad[i], w_new, tail);
  param[i] = select(w_new, w, tail);
}
