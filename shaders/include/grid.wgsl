// The launch most kernels use: one invocation per item, WG invocations per workgroup, the workgroups
// in a row along x, folded into a 2-D grid when there are more than 65535 of them (grid1d in
// src/ops/shape.ts), so an item's flat index takes in the invocation's row y as well. An entry point
// takes a Grid, asks flat_index(grid) for its item and returns when that lies past the last one (the
// folded grid's last row may run over).
// WG is declared here, once, because the host counts the workgroups with the same number: grid1d(n)
// assumes 256, the default, and a launch that counts with another size passes it as constants.WG.

override WG: u32 = 256;

struct Grid {
  @builtin(global_invocation_id) id: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
}

fn flat_index(grid: Grid) -> u32 {
  return grid.id.x + grid.id.y * grid.groups.x * WG;
}
