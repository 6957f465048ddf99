// The Node side of the GPU measurement (bench/gpu/run.sh runs it from the bundle bench/gpu/prepare.sh
// makes, on a machine with a real GPU and no npm): one stage per process, so that a stage that fails
// or overruns its time loses nothing of the others. Each stage writes <stage>.json into --stages;
// `report` gathers those, PyTorch's (bench/gpu/pytorch_peer.py), GPT-2's log and nvidia-smi's into
// results.json and summary.md in --out.
//   gpu-bench adapter --stages DIR                 the adapter's identity, features and limits
//   gpu-bench matmul --stages DIR                  f32 square matmul, every variant and linearHalf
//   gpu-bench rows --stages DIR                    copy bandwidth, softmax, layer norm (each rung), reductions
//   gpu-bench tune --stages DIR                    gg.tune()'s choices and timings on this adapter
//   gpu-bench suite --stages DIR [--budget ms] [--only a,b] [--quick]   bench/run.ts --node's cases
//   gpu-bench report --stages DIR --out DIR
// Shapes come from bench/gpu/shapes.json (read from the working directory, the repository root), the
// same file the PyTorch peer reads; GPU_SCRIPT_SMOKE=1 takes its tiny shapes, to prove the flow on
// SwiftShader.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import * as gg from '../../src/node.js';
import { flag, option } from '../harness/options.js';
import { HostRandom, samplePositions, type HostTensor } from '../harness/harness.js';
import { markdownTable, type BenchReport } from '../harness/report.js';
import { runEnvironment } from '../harness/runner.js';
import { settle } from '../harness/timing.js';
import { allCases } from '../suites.js';

type RowOp = 'copy' | 'scale' | 'softmax' | 'layerNorm' | 'sumRows' | 'sumAll';
interface Shapes {
  matmul: number[];
  rows: { op: RowOp; shape: number[] }[];
}

/** One timed implementation on one shape: ms per repetition (median over samples) and its check. */
interface Timed {
  name: string;
  ms: number;
  reps: number;
  samples: number;
  /** Largest error at the checked positions, relative to the reference's largest magnitude. */
  checkError: number;
}
interface MatmulRow extends Timed { n: number; gflops: number }
interface BandwidthRow extends Timed { op: RowOp; shape: number[]; bytes: number; gbps: number }

const stage = process.argv[2];
const stagesDir = option('stages', 'gpu-stages')!;
const smoke = process.env.GPU_SCRIPT_SMOKE === '1';
const shapes = (JSON.parse(readFileSync('bench/gpu/shapes.json', 'utf8')) as Record<'full' | 'smoke', Shapes>)[smoke ? 'smoke' : 'full'];
const started = performance.now();
const log = (line: string) => console.log(`${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
const writeStage = (name: string, value: unknown) => {
  mkdirSync(stagesDir, { recursive: true });
  writeFileSync(join(stagesDir, `${name}.json`), `${JSON.stringify(value, null, 2)}\n`);
};
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Bytes a row op reads and writes once, counted the same way for gengpu and PyTorch (the report divides). */
function bytesMoved(op: RowOp, shape: number[]): number {
  const n = size(shape);
  const rows = n / shape[shape.length - 1];
  return op === 'sumRows' ? 4 * (n + rows) : op === 'sumAll' ? 4 * (n + 1) : 8 * n;
}

/**
 * Times `run(reps)` (which records `reps` repetitions, waits for them and returns the elapsed ms): one warm
 * run that compiles, one single repetition to size the batch so that a sample takes about `targetMs`,
 * then samples until `budgetMs` is spent (at least three). Returns the median ms per repetition.
 */
async function timeAdaptive(run: (reps: number) => Promise<number>, targetMs = smoke ? 5 : 40, budgetMs = smoke ? 50 : 600) {
  await run(1);
  const single = await run(1);
  const reps = Math.max(1, Math.min(2000, Math.round(targetMs / Math.max(single, 1e-3))));
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < 3 || (performance.now() - start < budgetMs && samples.length < 50)) samples.push((await run(reps)) / reps);
  samples.sort((a, b) => a - b);
  return { ms: samples[samples.length >> 1], reps, samples: samples.length };
}

/** A gengpu op as timeAdaptive's run: `reps` results recorded (each freed before the next), the last waited for. */
const opRuns = (record: () => gg.Tensor) => async (reps: number) => {
  const start = performance.now();
  const last = gg.scope(() => {
    let t = record();
    for (let i = 1; i < reps; i++) {
      t.realize(); // a pending result (a deferred matmul) disposed unread never runs
      t.dispose();
      t = record();
    }
    return t;
  });
  await settle(last, start, 0);
  last.dispose();
  return performance.now() - start;
};

/** Largest |got - want| over the positions, relative to the largest |want| (or to `scale` when given). */
function relativeError(got: ArrayLike<number>, want: ArrayLike<number>, at: readonly number[], scale?: number): number {
  let largest = scale ?? 1e-30;
  if (scale === undefined) for (let i = 0; i < want.length; i++) largest = Math.max(largest, Math.abs(want[i]));
  let worst = 0;
  for (let i = 0; i < at.length; i++) {
    const error = Math.abs(got[at[i]] - want[i]) / largest;
    worst = Math.max(worst, Number.isFinite(error) ? error : Infinity);
  }
  return worst;
}

async function adapterStage() {
  const rt = await gg.init();
  const names = (o: object) => {
    const keys: string[] = [];
    for (const k in o) if (typeof (o as Record<string, unknown>)[k] !== 'function') keys.push(k);
    return keys.sort();
  };
  const record = (o: object) => Object.fromEntries(names(o).map((k) => [k, (o as Record<string, unknown>)[k]]));
  const adapter = {
    info: record(rt.adapter.info),
    adapterFeatures: [...rt.adapter.features].sort(),
    deviceFeatures: [...rt.device.features].sort(),
    limits: record(rt.adapter.limits),
    subgroupsInUse: rt.hasSubgroups,
    softwareAdapter: gg.isSoftwareAdapter(),
    matmulChoice: Object.fromEntries(shapes.matmul.map((n) => [n, gg.chooseMatmulVariant(n, n, n)])),
  };
  log(`adapter ${JSON.stringify(adapter.info)}`);
  log(`adapter features: ${adapter.adapterFeatures.join(', ')}`);
  log(`device features: ${adapter.deviceFeatures.join(', ')}`);
  log(`limits: ${JSON.stringify(adapter.limits)}`);
  writeStage('adapter', adapter);
}

/** The value of an [n, n] x [n, n] product a · b (a · bᵀ when `transposed`) at flat position p, in float64. */
function productAt(a: Float32Array, b: Float32Array, n: number, p: number, transposed = false): number {
  const [i, j] = [Math.floor(p / n), p % n];
  let sum = 0;
  for (let k = 0; k < n; k++) sum += a[i * n + k] * (transposed ? b[j * n + k] : b[k * n + j]);
  return sum;
}

async function matmulStage() {
  await gg.init();
  const rows: MatmulRow[] = [];
  const variants = gg.matmulVariants.filter((v) => !gg.matmulVariantSpecs[v].subgroups || gg.runtime().hasSubgroups);
  for (const n of shapes.matmul) {
    const random = new HostRandom(n);
    const [a, b] = [random.uniform([n, n]), random.uniform([n, n])];
    const at = samplePositions(n * n, 64);
    const want = Float64Array.from(at, (p) => productAt(a.data, b.data, n, p));
    // linearHalf computes x · wᵀ from halves: w = bᵀ rounded to halves, so its reference is its own.
    const halves = gg.toHalfBits(transpose(b).data);
    const widened = gg.io.toLoadable('gpu-bench', 'w', { dtype: 'F16', shape: [n, n], data: halves }).values as Float32Array;
    const wantHalf = Float64Array.from(at, (p) => productAt(a.data, widened, n, p, true));
    const [ga, gb, gw] = [gg.tensor(a.data, [n, n]), gg.tensor(b.data, [n, n]), gg.halfTensor(halves, [n, n], { halves: true })];
    const impls: [string, () => gg.Tensor, Float64Array][] = [
      ...(['auto', ...variants] as const).map((v): [string, () => gg.Tensor, Float64Array] => [
        v === 'auto' ? `auto (${gg.chooseMatmulVariant(n, n, n)})` : v, () => gg.matmul(ga, gb, { variant: v === 'auto' ? undefined : v }), want]),
      ['linearHalf (f16 weights)', () => gg.linearHalf(ga, gw), wantHalf],
    ];
    for (const [name, record, reference] of impls) {
      const out = gg.scope(record);
      const checkError = relativeError(await out.data(), reference, at);
      out.dispose();
      const timing = await timeAdaptive(opRuns(record));
      const row = { n, name, ...timing, gflops: (2 * n ** 3) / (timing.ms * 1e6), checkError };
      rows.push(row);
      log(`matmul ${n}: ${name} ${row.ms.toFixed(3)} ms = ${row.gflops.toFixed(0)} GFLOPS (check ${checkError.toExponential(1)}, ${timing.reps} reps x ${timing.samples})`);
      writeStage('matmul', rows);
    }
    for (const t of [ga, gb, gw]) t.dispose();
  }
}

/** Host transpose of a matrix. */
function transpose(t: HostTensor): HostTensor {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { data: out, shape: [c, r] };
}

/** A vec4 kernel writing 2x its input: the floor an elementwise or row kernel can reach. */
const scaleWgsl = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.x + id.y * groups.x * 256u;
  if (i < arrayLength(&dst)) { dst[i] = 2.0 * src[i]; }
}`;

/** Raw WebGPU floors on `data`: buffer-to-buffer copy and the vec4 scale kernel, timed as gengpu's ops are. */
async function rawFloors(data: Float32Array, shape: number[]): Promise<BandwidthRow[]> {
  const rt = gg.runtime();
  const device = rt.device;
  const bytes = data.byteLength;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const [src, dst] = [device.createBuffer({ size: bytes, usage, mappedAtCreation: true }), device.createBuffer({ size: bytes, usage })];
  new Float32Array(src.getMappedRange()).set(data);
  src.unmap();
  const module = device.createShaderModule({ code: scaleWgsl });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }] });
  const groups = Math.ceil(bytes / 16 / 256);
  const [gx, gy] = [Math.min(groups, 65535), Math.ceil(groups / 65535)];
  const encodeRuns = (encode: (encoder: GPUCommandEncoder) => void) => async (reps: number) => {
    const start = performance.now();
    const encoder = device.createCommandEncoder();
    for (let i = 0; i < reps; i++) encode(encoder);
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - start;
  };
  const copy = encodeRuns((encoder) => encoder.copyBufferToBuffer(src, 0, dst, 0, bytes));
  const scale = encodeRuns((encoder) => {
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy);
    pass.end();
  });
  const at = samplePositions(data.length, 64);
  const rows: BandwidthRow[] = [];
  for (const [op, name, run, factor] of [['copy', 'copyBufferToBuffer', copy, 1], ['scale', 'raw WGSL vec4 kernel', scale, 2]] as const) {
    await run(1);
    const got = new Float32Array(await rt.read(dst, 0, bytes));
    const checkError = relativeError(got, Float64Array.from(at, (p) => factor * data[p]), at);
    const timing = await timeAdaptive(run);
    const moved = bytesMoved(op, shape);
    rows.push({ op, shape, name, bytes: moved, gbps: moved / (timing.ms * 1e6), checkError, ...timing });
  }
  src.destroy();
  dst.destroy();
  return rows;
}

/**
 * gengpu's op for a row case on one rung of the row kernels (softmax and layerNorm; undefined: the automatic
 * choice), and its float64 reference at the given output positions.
 */
function rowOp(op: RowOp, x: gg.Tensor, data: Float32Array, shape: number[], variant?: gg.RowVariant): { name: string; record: () => gg.Tensor; reference(at: number[]): Float64Array; scale?: number } {
  const cols = shape[shape.length - 1];
  const rung = variant ?? `auto: ${gg.chooseRowVariant(cols)}`;
  const line = (r: number) => Array.from(data.subarray(r * cols, (r + 1) * cols));
  const rowOf = (p: number) => Math.floor(p / cols);
  switch (op) {
    case 'copy':
    case 'scale':
      return { name: 'gengpu mulScalar', record: () => gg.mulScalar(x, 2), reference: (at) => Float64Array.from(at, (p) => 2 * data[p]) };
    case 'softmax':
      return {
        name: `gengpu softmax (${rung})`, record: () => gg.softmax(x, -1, { variant }),
        reference: (at) => Float64Array.from(at, (p) => {
          const v = line(rowOf(p));
          const m = Math.max(...v);
          return Math.exp(data[p] - m) / v.reduce((s, e) => s + Math.exp(e - m), 0);
        }),
      };
    case 'layerNorm':
      return {
        name: `gengpu layerNorm (${rung})`, record: () => gg.nn.functional.layerNorm(x, cols, null, null, 1e-5, { variant }),
        reference: (at) => Float64Array.from(at, (p) => {
          const v = line(rowOf(p));
          const mean = v.reduce((s, e) => s + e, 0) / cols;
          const variance = v.reduce((s, e) => s + (e - mean) ** 2, 0) / cols;
          return (data[p] - mean) / Math.sqrt(variance + 1e-5);
        }),
      };
    case 'sumRows':
      return { name: 'gengpu sum(x, -1)', record: () => gg.sum(x, -1), reference: (at) => Float64Array.from(at, (r) => line(r).reduce((s, e) => s + e, 0)) };
    case 'sumAll': {
      let absolute = 0;
      for (const v of data) absolute += Math.abs(v);
      return { name: 'gengpu sum(x)', record: () => gg.sum(x), reference: () => Float64Array.of(data.reduce((s, e) => s + e, 0)), scale: absolute * 1e-3 };
    }
  }
}

async function rowsStage() {
  await gg.init();
  const largest = Math.max(...shapes.rows.map((r) => size(r.shape)));
  const data = new HostRandom(2030).uniform([largest], -4, 4).data;
  const rows: BandwidthRow[] = [];
  const report = (row: BandwidthRow) => {
    rows.push(row);
    log(`${row.op} ${row.shape.join('x')}: ${row.name} ${row.ms.toFixed(4)} ms = ${row.gbps.toFixed(1)} GB/s (check ${row.checkError.toExponential(1)})`);
    writeStage('rows', rows);
  };
  let floorsDone = false;
  for (const { op, shape } of shapes.rows) {
    const values = data.subarray(0, size(shape));
    if ((op === 'copy' || op === 'scale') && !floorsDone) {
      for (const row of await rawFloors(values, shape)) report(row);
      floorsDone = true;
    }
    if (op === 'copy') continue; // gengpu has no op that only copies: mulScalar is its trivial kernel
    const x = gg.tensor(values, shape);
    // The row kernels: the automatic choice, then each rung.
    const variants = op === 'softmax' || op === 'layerNorm' ? [undefined, 'line', 'workgroup'] as const : [undefined];
    for (const variant of variants) {
      const { name, record, reference, scale } = rowOp(op, x, values, shape, variant);
      const out = gg.scope(record);
      const got = await out.data();
      out.dispose();
      const at = op === 'sumAll' ? [0] : samplePositions(got.length, 64);
      const checkError = relativeError(got, reference(at), at, scale);
      const timing = await timeAdaptive(opRuns(record));
      const bytes = bytesMoved(op, shape);
      report({ op, shape, name, bytes, gbps: bytes / (timing.ms * 1e6), checkError, ...timing });
    }
    x.dispose();
  }
}

/** gg.tune() on this adapter with its default shapes: the choices a tuned run would make, and every candidate's time. */
async function tuneStage() {
  await gg.init();
  const report = await gg.tune({ budgetMs: smoke ? 5 : 50, ...(smoke ? { matmulShapes: [[64, 64, 64]], rowShapes: [[16, 64]] } : {}) });
  log(report.table());
  writeStage('tune', report);
  writeFileSync(join(stagesDir, 'tune.md'), `## gg.tune() (default shapes; the hand-picked choice stays unless another is 5% faster)\n\n\`\`\`\n${report.table()}\n\`\`\`\n`);
}

async function suiteStage() {
  const gengpuVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
  const only = option('only', '')!.split(',').filter(Boolean);
  const quick = flag('quick');
  const budgetMs = option('budget', 250);
  const environment = await runEnvironment('Node (Dawn)', `Node ${process.version}`, allCases, [], {
    quick, only, budgetMs, slowMs: 2000, gengpuVersion, log,
  });
  const report: BenchReport = {
    date: new Date().toISOString(),
    command: `bench/gpu/run.sh: gpu-bench suite (bench/run.ts --node's cases, tinybench budget ${budgetMs} ms per row)`,
    quick,
    machine: { cpu: cpus()[0]?.model ?? 'unknown CPU', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${type()} ${release()}`, node: process.version },
    environments: [environment],
  };
  writeStage('suite', report);
  writeFileSync(join(stagesDir, 'suite.md'), `## bench/run.ts --node's cases (tinybench budget ${budgetMs} ms per row)\n\n${markdownTable(environment)}\n`);
}

// ---- report ---------------------------------------------------------------------------------------

interface PyTorchResult {
  torch: string;
  device: { name: string; multiProcessorCount?: number } | string;
  matmul: { n: number; tf32: boolean; ms: number }[];
  rows: { op: RowOp; shape: number[]; ms: number }[];
}

const readJson = <T>(name: string): T | undefined => {
  const path = join(stagesDir, name);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
};
const readText = (name: string) => (existsSync(join(stagesDir, name)) ? readFileSync(join(stagesDir, name), 'utf8') : undefined);

/**
 * FP32 (non-tensor) peak in GFLOPS: multiprocessors x 128 FP32 lanes (Hopper, Ada, Ampere GA10x) x 2
 * (a fused multiply-add) x the highest SM clock; with the formula spelled out for the summary.
 */
function fp32Peak(smi: string | undefined, pytorch: PyTorchResult | undefined): { gflops: number; formula: string } | undefined {
  const [name = '', clockMHz = ''] = (smi ?? '').split('\n')[0].split(',').map((s) => s.trim());
  const fromTorch = typeof pytorch?.device === 'object' ? pytorch.device.multiProcessorCount : undefined;
  const sms = fromTorch ?? (/H100|H200/.test(name) ? 132 : undefined);
  const mhz = Number.parseFloat(clockMHz);
  if (!sms || !Number.isFinite(mhz)) return undefined;
  const gflops = (sms * 128 * 2 * mhz) / 1000;
  return { gflops, formula: `${sms} SMs x 128 FP32 lanes x 2 (FMA) x ${mhz} MHz = ${(gflops / 1000).toFixed(1)} TFLOPS` };
}

function reportStage() {
  const outDir = option('out', 'gpu-out')!;
  const adapter = readJson<{ info: Record<string, unknown>; adapterFeatures: string[]; limits: Record<string, number>; subgroupsInUse: boolean }>('adapter.json');
  const matmul = readJson<MatmulRow[]>('matmul.json') ?? [];
  const rows = readJson<BandwidthRow[]>('rows.json') ?? [];
  const pytorch = readJson<PyTorchResult>('pytorch.json');
  const suite = readJson<BenchReport>('suite.json');
  const smi = readText('nvidia-smi-query.csv');
  const status = readText('status.txt') ?? '';
  const gpt2 = (readText('gpt2.log') ?? '').split('\n').filter((l) => /^(adapter|GPT|gpt|prefill|decode|peak|random)/i.test(l.trim()) || l.includes('weights,'));
  const peak = fp32Peak(smi, pytorch);
  const pytorchMatmul = (n: number, tf32: boolean) => pytorch?.matmul.find((m) => m.n === n && m.tf32 === tf32);
  const gflops = (n: number, ms: number) => (2 * n ** 3) / (ms * 1e6);
  const percentOfPeak = (value: number) => (peak ? ((100 * value) / peak.gflops).toFixed(1) : '—');
  const floor = rows.find((r) => r.op === 'copy' && r.name === 'copyBufferToBuffer')?.gbps;

  const lines = [
    `# gengpu on a GPU, ${new Date().toISOString()}${smoke ? ' (SMOKE: tiny shapes, not a measurement)' : ''}`,
    '',
    '- Made by `bash bench/gpu/run.sh` (see the README\'s paragraph on measuring on an NVIDIA GPU).',
    `- GPU (nvidia-smi: name, max SM clock, memory, driver): ${smi?.trim() || 'none'}`,
    adapter ? `- WebGPU adapter (Dawn, Vulkan): ${JSON.stringify(adapter.info)}` : '- WebGPU adapter: stage failed',
    adapter ? `- Adapter features: ${adapter.adapterFeatures.join(', ')}; subgroups in use: ${adapter.subgroupsInUse}` : '',
    adapter ? `- Limits: maxStorageBufferBindingSize ${adapter.limits.maxStorageBufferBindingSize}, maxBufferSize ${adapter.limits.maxBufferSize}, maxComputeWorkgroupStorageSize ${adapter.limits.maxComputeWorkgroupStorageSize}, maxComputeInvocationsPerWorkgroup ${adapter.limits.maxComputeInvocationsPerWorkgroup}` : '',
    pytorch ? `- PyTorch ${pytorch.torch} on ${typeof pytorch.device === 'string' ? pytorch.device : pytorch.device.name}` : '- PyTorch: not run or failed',
    peak ? `- FP32 peak (non-tensor): ${peak.formula}` : '- FP32 peak: unknown (no nvidia-smi clock or SM count)',
    '',
    '## f32 square matmul (ms per product; GFLOPS = 2 n³ / time)',
    '',
    '| n | implementation | ms | GFLOPS | % of FP32 peak | check error |',
    '|---|---|---|---|---|---|',
    ...[...new Set(matmul.map((r) => r.n))].flatMap((n) => [
      ...matmul.filter((r) => r.n === n).map((r) => `| ${n} | gengpu ${r.name} | ${r.ms.toFixed(3)} | ${r.gflops.toFixed(0)} | ${percentOfPeak(r.gflops)} | ${r.checkError.toExponential(1)} |`),
      ...[false, true].flatMap((tf32) => {
        const m = pytorchMatmul(n, tf32);
        return m ? [`| ${n} | PyTorch fp32, TF32 ${tf32 ? 'on' : 'off'} | ${m.ms.toFixed(3)} | ${gflops(n, m.ms).toFixed(0)} | ${percentOfPeak(gflops(n, m.ms))} | |`] : [];
      }),
    ]),
    '',
    '## Memory-bound rows (GB/s counts bytes read plus written once)',
    '',
    `| op | shape | implementation | ms | GB/s | % of copyBufferToBuffer | check error |`,
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.op} | ${r.shape.join('x')} | ${r.name} | ${r.ms.toFixed(4)} | ${r.gbps.toFixed(1)} | ${floor ? ((100 * r.gbps) / floor).toFixed(0) : '—'} | ${r.checkError.toExponential(1)} |`),
    ...(pytorch?.rows ?? []).map((r) => {
      const gbps = bytesMoved(r.op, r.shape) / (r.ms * 1e6);
      return `| ${r.op} | ${r.shape.join('x')} | PyTorch | ${r.ms.toFixed(4)} | ${gbps.toFixed(1)} | ${floor ? ((100 * gbps) / floor).toFixed(0) : '—'} | |`;
    }),
    '',
    '## GPT-2 124M, random weights (bench/models/gpt2.ts)',
    '',
    ...(gpt2.length ? gpt2.map((l) => `    ${l.trim()}`) : ['not run or failed']),
    '',
    '## Stages (name, exit status, seconds)',
    '',
    ...status.trim().split('\n').map((l) => `    ${l}`),
    '',
    readText('tune.md') ?? '## gg.tune()\n\nnot run or failed',
    '',
    readText('suite.md') ?? '## Suite\n\nnot run or failed',
  ];
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'summary.md'), `${lines.join('\n')}\n`);
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify({ smoke, nvidiaSmi: smi, fp32Peak: peak, adapter, matmul, rows, pytorch, gpt2, status, suite }, null, 2)}\n`);
}

const stages: Record<string, () => Promise<void> | void> = { adapter: adapterStage, matmul: matmulStage, rows: rowsStage, tune: tuneStage, suite: suiteStage, report: reportStage };
if (!stages[stage]) throw new Error(`gpu-bench: unknown stage '${stage}'; expected one of ${Object.keys(stages).join(', ')}`);
await stages[stage]();
if (stage !== 'report') gg.shutdown();
log(`${stage} done`);
process.exit(0);
