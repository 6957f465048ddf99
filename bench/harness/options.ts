// Command-line options of the model benchmarks in the `--name value` form: `flag` for a bare switch,
// `option` for a value (a number when the fallback is one).

/** Whether `--name` is on the command line. */
export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

/** The value after `--name`, or the fallback when it is absent; a number when the fallback is a number. */
export function option(name: string, fallback: number): number;
export function option(name: string, fallback: string | undefined): string | undefined;
export function option(name: string, fallback: number | string | undefined): number | string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = process.argv[at + 1];
  return typeof fallback === 'number' ? Number(value) : value;
}
