#!/usr/bin/env bash
# Packs, into the ignored folder .gpu/ at the repository root, everything a GPU machine without npm,
# network or Node needs to run bench/gpu/run.sh: this machine's Node binary (xz), Dawn's addon from the
# `webgpu` package (xz), the Vulkan loader and GL dispatch libraries as Debian packages, and the benchmark
# bundled by esbuild into single files that import nothing but Node's built-ins and `webgpu`.
#   bash bench/gpu/prepare.sh          run here, on x86-64 Linux with node_modules installed
# The device command then carries .gpu (see the README). Parts already packed are kept unless their
# source changed; the bundle is always rebuilt. Run it in the checkout the device call sends.
set -euo pipefail
cd "$(dirname "$0")/../.."
GPU=.gpu

if [ "$(uname -m)" != x86_64 ]; then
  echo "prepare.sh: this machine is $(uname -m); the GPU machine is x86-64, so its Node and Dawn must come from an x86-64 machine" >&2
  exit 1
fi
git check-ignore -q "$GPU" || { echo "prepare.sh: $GPU/ must be ignored by git (.gitignore) so that it travels only when carried" >&2; exit 1; }
mkdir -p "$GPU/bundle" "$GPU/webgpu/dist/linux-x64" "$GPU/debs"

# Node: the binary running here, debug sections stripped (they are most of its size), xz-compressed.
node_bin=$(command -v node)
node_version=$(node --version)
if [ "$(cat "$GPU/node.version" 2>/dev/null)" != "$node_version" ] || [ ! -s "$GPU/node.xz" ]; then
  echo "packing Node $node_version from $node_bin"
  stripped=$(mktemp)
  if command -v strip >/dev/null; then strip --strip-debug -o "$stripped" "$node_bin"; else cp "$node_bin" "$stripped"; fi
  xz -T2 -9 -c "$stripped" > "$GPU/node.xz.partial"
  rm -f "$stripped"
  mv "$GPU/node.xz.partial" "$GPU/node.xz"
  echo "$node_version" > "$GPU/node.version"
fi

# Dawn: the `webgpu` package's entry and the Linux x64 addon (the other platforms' builds stay behind).
dawn=node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || { echo "prepare.sh: $dawn is missing: npm install first" >&2; exit 1; }
cp node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/LICENSE.md "$GPU/webgpu/"
if [ ! -s "$GPU/webgpu/dist/linux-x64/dawn.node.xz" ] || [ "$dawn" -nt "$GPU/webgpu/dist/linux-x64/dawn.node.xz" ]; then
  echo "packing Dawn ($dawn)"
  xz -T2 -9 -c "$dawn" > "$GPU/webgpu/dist/linux-x64/dawn.node.xz"
fi

# The Vulkan loader and the GL dispatch libraries NVIDIA's Vulkan driver loads, for amd64 whatever this
# machine's own architecture: the GPU machine may lack them, and it cannot fetch anything.
if ! ls "$GPU"/debs/libvulkan1_*.deb >/dev/null 2>&1; then
  echo "downloading the Vulkan loader packages"
  lists=$(mktemp -d)
  mkdir -p "$lists/partial"
  apt_options=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
  [ "$(id -u)" != 0 ] || apt_options+=(-oAPT::Sandbox::User=root) # root's temporary folders are closed to apt's own user
  apt-get "${apt_options[@]}" update >/dev/null
  (cd "$GPU/debs" && apt-get "${apt_options[@]}" download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2)
  rm -rf "$lists"
fi

# The benchmark, bundled: shaders are inlined by the generated module; `webgpu` stays an import that
# Node resolves from the folder run.sh puts beside the bundle. The banner gives bundled CommonJS
# code the `require` an ES module lacks.
node shaders/bundle.mjs >/dev/null
banner="import { createRequire as __gpuBenchRequire } from 'node:module'; const require = __gpuBenchRequire(import.meta.url);"
for entry in bench/gpu/gpu-bench.ts bench/models/gpt2.ts; do
  npx esbuild "$entry" --bundle --platform=node --format=esm --target=node20 --log-level=warning \
    --banner:js="$banner" --metafile="$GPU/bundle/$(basename "$entry" .ts).meta.json" --outfile="$GPU/bundle/$(basename "$entry" .ts).mjs"
done
# Every import left in the bundles must be one of Node's own modules.
node -e '
  const fs = require("node:fs");
  const { builtinModules } = require("node:module");
  for (const file of process.argv.slice(1)) {
    const meta = JSON.parse(fs.readFileSync(file, "utf8"));
    for (const output of Object.values(meta.outputs)) {
      for (const { path } of output.imports) {
        if (!path.startsWith("node:") && !builtinModules.includes(path)) throw new Error(`${file}: the bundle imports ${path}`);
      }
    }
  }' "$GPU"/bundle/*.meta.json
rm "$GPU"/bundle/*.meta.json
# A bundled file run directly is process.argv[1], which the bench's kernel files take as "run me alone";
# started through this launcher (which removes its own argument) none of them is.
cat > "$GPU/bundle/launch.mjs" <<'EOF'
// Runs the bundled script named by the first argument, with that argument removed from process.argv.
const [script] = process.argv.splice(2, 1);
await import(new URL(script, import.meta.url).href);
EOF

echo
echo "packed into $GPU/:"
find "$GPU" -type f -printf '%s\t%p\n' | sort -k2 | awk -F'\t' '{ printf "%10.1f MiB  %s\n", $1 / 1048576, $2; total += $1 } END { printf "%10.1f MiB  in all\n", total / 1048576 }'
tree_bytes=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
gpu_bytes=$(find "$GPU" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
total=$((tree_bytes + gpu_bytes))
awk -v tree="$tree_bytes" -v gpu="$gpu_bytes" -v dir="$GPU" 'BEGIN { m = 1048576
  printf "the device call sends %.1f MiB: the working tree (tracked and untracked, not ignored) %.1f MiB + %s/ %.1f MiB; the limit is 64 MiB\n", (tree + gpu) / m, tree / m, dir, gpu / m }'
[ "$total" -lt $((60 * 1048576)) ] || { echo "prepare.sh: over 60 MiB would travel; the limit is 64 MiB" >&2; exit 1; }
