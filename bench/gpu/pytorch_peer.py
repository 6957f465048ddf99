"""PyTorch on the same shapes as bench/gpu/gpu-bench.ts (bench/gpu/shapes.json): the peer that the GPU
measurement (bench/gpu/run.sh) sets gengpu's figures beside. f32 square matmul with TF32 off and on,
copy, a x2 elementwise kernel, softmax, layer norm and two sums; each timed with CUDA events over a
batch of repetitions sized to about 40 ms, the median of the batches, after a warm run.

    python3 bench/gpu/pytorch_peer.py --out stages/pytorch.json     (GPU_SCRIPT_SMOKE=1: tiny shapes)

Without CUDA it runs on the CPU (for proving the script, not for figures). Times only: the report
(gpu-bench report) turns them into GFLOPS and GB/s with the same byte counts as gengpu's rows.
"""

import argparse
import json
import os
import time

import torch
import torch.nn.functional as F

SMOKE = os.environ.get("GPU_SCRIPT_SMOKE") == "1"
TARGET_MS = 5 if SMOKE else 40
BUDGET_MS = 50 if SMOKE else 600


def make_timer(device):
    """Milliseconds for fn() run reps times: CUDA events on a GPU, the wall clock on the CPU."""
    if device.type == "cuda":
        def run(fn, reps):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(reps):
                fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end)
    else:
        def run(fn, reps):
            start = time.perf_counter()
            for _ in range(reps):
                fn()
            return (time.perf_counter() - start) * 1000
    return run


def time_adaptive(run, fn):
    """Median ms per repetition: a warm run, a single run to size the batch, then batches until the budget."""
    run(fn, 1)
    single = run(fn, 1)
    reps = max(1, min(2000, round(TARGET_MS / max(single, 1e-3))))
    samples = []
    started = time.perf_counter()
    while len(samples) < 3 or ((time.perf_counter() - started) * 1000 < BUDGET_MS and len(samples) < 50):
        samples.append(run(fn, reps) / reps)
    samples.sort()
    return samples[len(samples) // 2], reps, len(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the JSON file to write")
    parser.add_argument("--shapes", default="bench/gpu/shapes.json")
    args = parser.parse_args()
    with open(args.shapes) as f:
        shapes = json.load(f)["smoke" if SMOKE else "full"]

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    run = make_timer(device)
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        about = {"name": props.name, "multiProcessorCount": props.multi_processor_count,
                 "totalMemoryGiB": round(props.total_memory / 2**30, 1), "capability": f"{props.major}.{props.minor}",
                 "cuda": torch.version.cuda}
    else:
        about = "cpu (no CUDA: figures are not GPU figures)"
    result = {"torch": torch.__version__, "device": about, "matmul": [], "rows": []}

    def save():
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)

    generator = torch.Generator(device="cpu").manual_seed(2030)
    for n in shapes["matmul"]:
        a = (torch.rand(n, n, generator=generator) * 2 - 1).to(device)
        b = (torch.rand(n, n, generator=generator) * 2 - 1).to(device)
        for tf32 in (False, True):
            torch.backends.cuda.matmul.allow_tf32 = tf32
            ms, reps, samples = time_adaptive(run, lambda: torch.matmul(a, b))
            result["matmul"].append({"n": n, "tf32": tf32, "ms": ms, "reps": reps, "samples": samples})
            print(f"matmul {n} TF32 {'on' if tf32 else 'off'}: {ms:.3f} ms = {2 * n**3 / (ms * 1e6):.0f} GFLOPS", flush=True)
            save()
        del a, b
    torch.backends.cuda.matmul.allow_tf32 = False

    largest = max(torch.Size(r["shape"]).numel() for r in shapes["rows"])
    data = (torch.rand(largest, generator=generator) * 8 - 4).to(device)
    for row in shapes["rows"]:
        shape = row["shape"]
        x = data[: torch.Size(shape).numel()].view(shape)
        out = torch.empty_like(x)
        ops = {
            "copy": lambda: out.copy_(x),
            "scale": lambda: torch.mul(x, 2, out=out),
            "softmax": lambda: torch.softmax(x, -1),
            "layerNorm": lambda: F.layer_norm(x, (shape[-1],)),
            "sumRows": lambda: x.sum(-1),
            "sumAll": lambda: x.sum(),
        }
        ms, reps, samples = time_adaptive(run, ops[row["op"]])
        result["rows"].append({"op": row["op"], "shape": shape, "ms": ms, "reps": reps, "samples": samples})
        print(f"{row['op']} {'x'.join(map(str, shape))}: {ms:.4f} ms", flush=True)
        save()


if __name__ == "__main__":
    main()
