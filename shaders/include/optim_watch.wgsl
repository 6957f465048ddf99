// Training's NaN/Inf watch inside an optimizer's update kernel: the first lane whose gradient or new
// parameter is NaN or an infinity reports the check site p.grad_site or p.param_site with the step
// count p.step (include/check_flag; site 0 when the optimizer's checkFinite is off). Lanes past the
// tensor's end hold whatever the buffer's padding holds and are not looked at. Infinity and NaN are
// told by their bits: a compiler may assume that floats are finite and fold a test like `x != x`.
fn non_finite(v: vec4<f32>, tail: vec4<bool>) -> bool {
  return any(((bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu)) >= vec4<u32>(0x7f800000u)) & !tail);
}

fn watch(g: vec4<f32>, w_new: vec4<f32>, tail: vec4<bool>) {
  if (non_finite(g, tail)) {
    report_check(p.grad_site, i32(p.step));
  } else if (non_finite(w_new, tail)) {
    report_check(p.param_site, i32(p.step));
  }
}
