// The benchmark report: what a run records (environment, adapter, library versions, machine, rows)
// and its Markdown tables: a summary line per case (gengpu's automatic choice against the best
// WebGPU and the best CPU (WASM) peer) and every row, kernel variants included.

import type { ResultRow } from './harness.js';

export interface LibraryInfo {
  name: string;
  version: string;
  kind: 'gengpu' | 'webgpu' | 'cpu';
}

export interface EnvironmentReport {
  /** 'Chromium (headless)' or 'Node (Dawn)'. */
  environment: string;
  userAgent: string;
  adapter: string;
  /** gg.tune()'s table where the run was tuned (--tune): the choices gengpu's automatic rows used. */
  tuning?: string;
  libraries: LibraryInfo[];
  rows: ResultRow[];
}

export interface BenchReport {
  date: string;
  command: string;
  quick: boolean;
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; node: string };
  environments: EnvironmentReport[];
}

const formatMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toPrecision(2));

/** The median peer ms of a case among peers of one kind (the fastest one). */
function bestPeer(rows: ResultRow[], kind: 'webgpu' | 'cpu'): ResultRow | undefined {
  return rows.filter((r) => r.role === kind && r.ms).sort((a, b) => a.ms!.median - b.ms!.median)[0];
}

/** "2.5x" when gengpu is faster, "0.40x" when slower: peer time over gengpu time. */
const ratio = (peer: ResultRow | undefined, row: ResultRow) =>
  peer && row.ms ? `${(peer.ms!.median / row.ms.median).toFixed(2)}x vs ${peer.library}` : '—';

export function markdownTable(env: EnvironmentReport): string {
  const lines = [
    `**${env.environment}** — adapter: ${env.adapter}; ${env.libraries.map((l) => `${l.name} ${l.version}`).join(', ')}`,
    '',
    ...(env.tuning ? ['Tuned (gg.tune):', '', '```', env.tuning, '```', ''] : []),
    '| suite | case | library | ms median (min–max, n) | throughput | dispatches | vs best WebGPU peer | vs best WASM peer |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const cases = [...new Map(env.rows.map((r) => [`${r.suite}\u0000${r.case}`, r])).keys()];
  for (const key of cases) {
    const rows = env.rows.filter((r) => `${r.suite}\u0000${r.case}` === key);
    const [webgpu, cpu] = [bestPeer(rows, 'webgpu'), bestPeer(rows, 'cpu')];
    for (const r of rows) {
      const mine = r.role === 'gengpu' || r.role === 'variant';
      const time = r.ms ? `${formatMs(r.ms.median)} (${formatMs(r.ms.min)}–${formatMs(r.ms.max)}, ${r.ms.samples})` : r.notAvailable ? `n/a: ${r.notAvailable}` : 'checked';
      const throughput = r.throughput === undefined ? '' : `${r.throughput.toFixed(r.throughput < 10 ? 2 : 1)} ${r.unit}`;
      const name = r.role === 'gengpu' ? `**${r.library}**` : r.library;
      const dispatches = r.dispatches === undefined ? '' : String(r.dispatches);
      lines.push(`| ${r.suite} | ${r.case} | ${name} | ${time} | ${throughput} | ${dispatches} | ${mine ? ratio(webgpu, r) : ''} | ${mine ? ratio(cpu, r) : ''} |`);
    }
  }
  return lines.join('\n');
}

/** One line per case: gengpu's automatic choice against the best WebGPU and the best WASM peer. */
export function summaryTable(env: EnvironmentReport): string {
  const lines = [
    '| case | gengpu ms | best WebGPU peer, ms | gengpu speed-up | best WASM peer, ms | gengpu speed-up |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of env.rows.filter((r) => r.role === 'gengpu' && r.ms)) {
    const rows = env.rows.filter((r) => r.suite === row.suite && r.case === row.case);
    const [webgpu, cpu] = [bestPeer(rows, 'webgpu'), bestPeer(rows, 'cpu')];
    const peer = (p: ResultRow | undefined) => (p ? `${p.library} ${formatMs(p.ms!.median)}` : 'n/a');
    const speedUp = (p: ResultRow | undefined) => (p ? `${(p.ms!.median / row.ms!.median).toFixed(2)}x` : '—');
    lines.push(`| ${row.suite}: ${row.case} | ${formatMs(row.ms!.median)} | ${peer(webgpu)} | ${speedUp(webgpu)} | ${peer(cpu)} | ${speedUp(cpu)} |`);
  }
  return lines.join('\n');
}

export function markdownReport(report: BenchReport): string {
  const m = report.machine;
  return [
    `# gengpu benchmark, ${report.date}${report.quick ? ' (quick: checks only, one size per suite, nothing timed)' : ''}`,
    '',
    `Command: \`${report.command}\`. Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}.`,
    'Every result was checked against a float64 reference (training steps of the peers: against gengpu\'s checked losses) before it was timed.',
    'Ratios are peer time over gengpu time within this run (above 1: gengpu is faster); other work on the machine shifts absolute figures.',
    '',
    ...report.environments.flatMap((env) => ['## Summary', '', summaryTable(env), '', '## Every row', '', markdownTable(env), '']),
  ].join('\n');
}
