// Runs one bad-input case (tests/robustness/cases.ts) and judges it, for the vitest suite and for
// bench/robustness/bad-input.ts alike. Outside a memory scope, so that nothing hides a leak:
//  1. run the case; a must-fail case must throw an Error naming one of its ops (as a word) and
//     mentioning each of its mentions, synchronously or at the case's own read; a must-work case
//     must not throw, and its own output check (ctx.expectValues) must pass;
//  2. dispose what the case made (ctx.own; for a result that carries a graph, the intermediates in
//     it too, as the scope() around a training step would), then compare the live GPU buffers with
//     the count before: any difference is a leak of the library;
//  3. run a small unrelated op and read it (tensor([1, 2]).add(1) is [2, 3]): an error here, or
//     other values, means the case poisoned the runtime (a deferred check or GPU error left behind).

import * as gg from '../../src/index.js';
import type { BadInputCase, CaseContext } from './cases.js';

/** Thrown by ctx.expectValues when a must-work case gives the wrong shape or values. */
export class WrongOutput extends Error {
  override readonly name = 'WrongOutput';
}

/**
 * clear: the expected error, naming the op. unclear: an error without the op's name or a mention.
 * silent: no error where one was due. works: a must-work case worked. wrong: it gave the wrong
 * output. threw: it threw.
 */
export type Verdict = 'clear' | 'unclear' | 'silent' | 'works' | 'wrong' | 'threw';

export interface Outcome {
  c: BadInputCase;
  verdict: Verdict;
  /** The error's message (name: message for non-Error throws), or the wrong output, or ''. */
  message: string;
  /** For errors: whether it came at once ('sync') or at the case's own read ('read'). */
  when: 'sync' | 'read' | null;
  /** What the verdict is missing: the op name or the mentions the message lacks. */
  missing: string[];
  /** Live GPU buffers left after disposing everything the case made. */
  leaked: number;
  /** Why the unrelated op afterwards failed, or null when it worked. */
  poisoned: string | null;
  ms: number;
}

/** True when a case passes: the verdict it needs, no leak, an unpoisoned runtime. */
export function passed(o: Outcome): boolean {
  return (o.verdict === 'clear' || o.verdict === 'works') && o.leaked === 0 && o.poisoned === null;
}

function disposeAll(made: unknown, seen = new Set<unknown>()): void {
  if (made === null || typeof made !== 'object' || seen.has(made)) return;
  seen.add(made);
  if (Array.isArray(made)) {
    for (const m of made) disposeAll(m, seen);
    return;
  }
  if (made instanceof gg.Tensor) {
    // A result that carries a graph holds its intermediates (a scope() would free them with it).
    for (const input of made.node?.inputs ?? []) if (input.node) disposeAll(input, seen);
    made.dispose();
    return;
  }
  if (typeof (made as { dispose?: unknown }).dispose === 'function') {
    (made as { dispose(): void }).dispose();
    return;
  }
  if (Object.getPrototypeOf(made) === Object.prototype) for (const v of Object.values(made)) disposeAll(v, seen);
}

function sameValue(a: number, e: number, tolerance: number): boolean {
  if (Number.isNaN(e)) return Number.isNaN(a);
  if (!Number.isFinite(e)) return a === e;
  return Math.abs(a - e) <= tolerance * Math.max(1, Math.abs(e));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : `(a thrown ${typeof error}: ${String(error)})`;
}

function containsWord(message: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_])${escaped}([^A-Za-z0-9_]|$)`).test(message);
}

/** Runs one case and judges it (see the top of this file). */
export async function runCase(c: BadInputCase): Promise<Outcome> {
  const rt = gg.runtime();
  const before = rt.memory().liveBuffers;
  const made: unknown[] = [];
  let reading = false;
  const ctx: CaseContext = {
    own: (m) => {
      made.push(m);
      return m;
    },
    read: async (t) => {
      reading = true;
      try {
        return await t.data();
      } finally {
        reading = false;
      }
    },
    expectValues: async (t, shape, values, tolerance = 1e-6) => {
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new WrongOutput(`expected shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
      }
      const got = Array.from(await t.data());
      if (got.length !== values.length || got.some((v, i) => !sameValue(v, values[i], tolerance))) {
        throw new WrongOutput(`expected [${values.join(', ')}], got [${got.join(', ')}]`);
      }
    },
  };
  const started = performance.now();
  let error: unknown = null;
  let threw = false;
  let when: Outcome['when'] = null;
  try {
    await c.run(ctx);
  } catch (e) {
    threw = true;
    error = e;
    when = reading ? 'read' : 'sync';
  }
  const ms = performance.now() - started;
  let disposeError: string | null = null;
  try {
    disposeAll(made);
  } catch (e) {
    disposeError = `disposing what the case made threw: ${messageOf(e)}`;
  }
  const leaked = rt.memory().liveBuffers - before;

  let verdict: Verdict;
  let message = threw ? messageOf(error) : '';
  const missing: string[] = [];
  if (c.expect === 'error') {
    if (!threw) verdict = 'silent';
    else {
      if (!c.ops.some((op) => containsWord(message, op))) missing.push(`the op (${c.ops.join(' or ')})`);
      for (const m of c.mentions) if (!message.includes(m)) missing.push(JSON.stringify(m));
      verdict = error instanceof Error && missing.length === 0 ? 'clear' : 'unclear';
    }
  } else {
    verdict = !threw ? 'works' : error instanceof WrongOutput ? 'wrong' : 'threw';
  }
  if (disposeError) message = message ? `${message}; ${disposeError}` : disposeError;

  // The unrelated op afterwards: a deferred check or GPU error that the case left behind shows here.
  let poisoned: string | null = disposeError;
  const probe = gg.tensor([1, 2]);
  let result: gg.Tensor | null = null;
  try {
    result = probe.add(1);
    const values = Array.from(await result.data());
    if (values[0] !== 2 || values[1] !== 3) poisoned = `tensor([1, 2]).add(1) gave [${values.join(', ')}]`;
  } catch (e) {
    poisoned = `tensor([1, 2]).add(1) threw: ${messageOf(e)}`;
  } finally {
    probe.dispose();
    result?.dispose();
  }
  // A lost device would fail every later case too: start a new runtime.
  if (gg.runtime().isLost) await gg.init();
  return { c, verdict, message, when, missing, leaked, poisoned, ms };
}

/** One line describing what went wrong with a case that did not pass. */
export function describeFailure(o: Outcome): string {
  const problems: string[] = [];
  if (o.verdict === 'silent') problems.push('no error');
  if (o.verdict === 'unclear') problems.push(`unclear error (lacks ${o.missing.join(', ')}): ${o.message}`);
  if (o.verdict === 'wrong') problems.push(`wrong output: ${o.message}`);
  if (o.verdict === 'threw') problems.push(`threw: ${o.message}`);
  if (o.leaked !== 0) problems.push(`leaked ${o.leaked} GPU buffer${o.leaked === 1 ? '' : 's'}`);
  if (o.poisoned !== null) problems.push(`poisoned the runtime: ${o.poisoned}`);
  return `[${o.c.category}/${o.c.kind}] ${o.c.name}: ${problems.join('; ')}`;
}
