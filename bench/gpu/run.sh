#!/usr/bin/env bash
# The GPU measurement, run on the lent GPU machine (no npm, no network, no Node) from the repository
# root with .gpu/ (made here by bench/gpu/prepare.sh) carried along:
#   bash bench/gpu/run.sh
# It unpacks Node and Dawn into a scratch folder, supplies the Vulkan loader where the machine lacks it,
# points Vulkan at NVIDIA's driver, then runs the stages, most telling first, each in its own process
# under its own time limit and all under one deadline, so a failing or slow stage loses nothing else:
# nvidia-smi; the WebGPU adapter (features, limits); f32 matmul at 1024..8192 for every variant and
# linearHalf; copy bandwidth and the row kernels (each rung) on the same shapes; gg.tune()'s choices;
# PyTorch on those shapes (if python3 has torch); GPT-2 124M decoding; bench/run.ts --node's cases. After each stage it rewrites
# $OUT/summary.md and $OUT/results.json; $OUT/run.log holds everything printed. OUT defaults to ./gpu-out.
#   GPU_SCRIPT_SMOKE=1        tiny shapes, GPU-only steps skipped without nvidia-smi: proves the flow here
#   GPU_SCRIPT_DEADLINE=480   seconds after which no stage starts or runs on
#   GPU_SCRIPT_VULKAN=bundled use the carried Vulkan loader even where the machine has one
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/gpu-out}
SMOKE=${GPU_SCRIPT_SMOKE:-0}
DEADLINE=${GPU_SCRIPT_DEADLINE:-480}
WORK=$(mktemp -d /tmp/gengpu-gpu.XXXXXX)
STAGES=$WORK/stages
mkdir -p "$OUT" "$STAGES" "$WORK/node_modules/webgpu/dist/linux-x64" "$WORK/lib"
exec > >(tee -a "$OUT/run.log") 2>&1
echo "gengpu GPU run, $(date -u +%FT%TZ), $(uname -m), smoke=$SMOKE, scratch $WORK, results in $OUT"

[ -d .gpu/bundle ] || { echo "no .gpu/ here: run bash bench/gpu/prepare.sh on the machine the call starts from, and carry .gpu"; exit 2; }
# xz may be missing there; Python's lzma is the fallback.
unxz_to() {
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
unxz_to .gpu/node.xz "$WORK/node" && chmod +x "$WORK/node" || { echo "unpacking Node failed"; exit 3; }
cp .gpu/webgpu/package.json .gpu/webgpu/index.js "$WORK/node_modules/webgpu/"
unxz_to .gpu/webgpu/dist/linux-x64/dawn.node.xz "$WORK/node_modules/webgpu/dist/linux-x64/dawn.node" || { echo "unpacking Dawn failed"; exit 3; }
cp .gpu/bundle/*.mjs "$WORK/"
NODE=$WORK/node
echo "Node $("$NODE" --version)"

# Libraries from the carried packages, each only where the machine has none of that name (a folder on
# LD_LIBRARY_PATH of links, so nothing under / changes).
for deb in .gpu/debs/*.deb; do dpkg -x "$deb" "$WORK/gl" || echo "could not unpack $deb"; done
for lib in "$WORK"/gl/usr/lib/x86_64-linux-gnu/*.so.*; do
  name=$(basename "$lib")
  if [ "${GPU_SCRIPT_VULKAN:-}" = bundled ] || ! ldconfig -p | grep -q "^[[:space:]]*$name "; then ln -sf "$lib" "$WORK/lib/$name"; fi
done
echo "carried libraries in use: $(ls "$WORK/lib" | tr '\n' ' ')"
export LD_LIBRARY_PATH=$WORK/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# NVIDIA's Vulkan driver description, where the machine keeps it outside the loader's search path.
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$nvidia_icd" ]; then
  export VK_DRIVER_FILES=$nvidia_icd __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
echo "Vulkan drivers: VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}; $(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>/dev/null | tr '\n' ' ')"

bench=("$NODE" "$WORK/launch.mjs")
report() { "${bench[@]}" gpu-bench.mjs report --stages "$STAGES" --out "$OUT" >/dev/null || echo "(the report failed)"; }
# run_stage NAME SECONDS COMMAND...: the command under the smaller of its limit and what the deadline leaves.
run_stage() {
  local name=$1 limit=$2 left=$((DEADLINE - SECONDS)) start=$SECONDS
  shift 2
  if [ "$left" -lt 15 ]; then echo "== $name skipped: the deadline is near"; echo "$name skipped 0" >> "$STAGES/status.txt"; return; fi
  [ "$limit" -le "$left" ] || limit=$left
  echo "== $name (at most ${limit} s)"
  timeout -k 5 "$limit" "$@" 2>&1 | tee "$STAGES/$name.log"
  local rc=${PIPESTATUS[0]}
  echo "$name $rc $((SECONDS - start))" >> "$STAGES/status.txt"
  [ "$rc" = 0 ] || echo "== $name ended with status $rc$([ "$rc" = 124 ] && echo ' (its time ran out)')"
  report
}

if command -v nvidia-smi >/dev/null; then
  run_stage nvidia-smi 20 nvidia-smi
  nvidia-smi --query-gpu=name,clocks.max.sm,memory.total,driver_version --format=csv,noheader > "$STAGES/nvidia-smi-query.csv" 2>/dev/null
elif [ "$SMOKE" != 1 ]; then
  echo "no nvidia-smi: not a GPU machine (GPU_SCRIPT_SMOKE=1 runs the flow anyway)"
fi
VK_LOADER_DEBUG=${VK_LOADER_DEBUG:-error} run_stage adapter 45 "${bench[@]}" gpu-bench.mjs adapter --stages "$STAGES"
run_stage matmul 120 "${bench[@]}" gpu-bench.mjs matmul --stages "$STAGES"
run_stage rows 60 "${bench[@]}" gpu-bench.mjs rows --stages "$STAGES"
run_stage tune 60 "${bench[@]}" gpu-bench.mjs tune --stages "$STAGES"
if python3 -c 'import torch' 2>/dev/null; then
  run_stage pytorch 75 python3 -u bench/gpu/pytorch_peer.py --out "$STAGES/pytorch.json"
else
  echo "== pytorch skipped: python3 has no torch"
fi
# The suite last: it is the longest, and takes whatever the deadline leaves.
if [ "$SMOKE" = 1 ]; then
  run_stage gpt2 120 "${bench[@]}" gpt2.mjs --prompt 4 --decode 2
  run_stage suite 120 "${bench[@]}" gpu-bench.mjs suite --stages "$STAGES" --only softmax,reductions --budget 50
else
  run_stage gpt2 60 "${bench[@]}" gpt2.mjs --prompt 128 --decode 32
  run_stage suite 240 "${bench[@]}" gpu-bench.mjs suite --stages "$STAGES" --budget 200
fi
report
echo "done in $SECONDS s: $OUT/summary.md, $OUT/results.json, $OUT/run.log"
