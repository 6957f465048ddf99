// Where dataset files come from: a path read with node:fs in Node, or a URL fetched in the browser
// (and for http(s) URLs in Node). Node modules are imported dynamically through a variable, so this
// file (and every dataset built on it) still loads in a browser and bundlers leave the imports alone.

type NodeFs = typeof import('node:fs/promises');
type NodeModule = typeof import('node:module');
type NodePath = typeof import('node:path');
type NodeUrl = typeof import('node:url');

export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** Imports a Node built-in without letting browser bundlers see (and try to bundle) the specifier. */
async function importNode<T>(name: string): Promise<T> {
  return (await import(/* @vite-ignore */ name)) as T;
}

function isHttpUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** True where `location` is read from disk (Node, not an http(s) URL) rather than fetched. */
export function isLocalFile(location: string): boolean {
  return isNode() && !isHttpUrl(location);
}

/** `base` joined with a file name: a directory path in Node, a URL (absolute or relative) otherwise. */
export async function joinLocation(base: string, name: string): Promise<string> {
  if (isLocalFile(base)) {
    const path = await importNode<NodePath>('node:path');
    return path.join(await toFilePath(base), name);
  }
  return `${base.replace(/\/+$/, '')}/${name}`;
}

async function toFilePath(location: string): Promise<string> {
  if (!location.startsWith('file:')) return location;
  const url = await importNode<NodeUrl>('node:url');
  return url.fileURLToPath(location);
}

/** A path relative to the working directory, made absolute. Node only. */
export async function resolveFromWorkingDirectory(relative: string, caller: string): Promise<string> {
  if (!isNode()) throw new Error(`${caller}: there is no working directory in a browser; pass a URL`);
  const path = await importNode<NodePath>('node:path');
  return path.resolve(process.cwd(), relative);
}

/**
 * The directory of an installed npm package (found the way `require` finds it, from this file), for
 * data files that ship inside packages. Node only.
 */
export async function packageDirectory(packageName: string, caller: string): Promise<string> {
  if (!isNode()) throw new Error(`${caller}: the '${packageName}' package can only be located in Node; in a browser pass \`source\` (a base URL serving its files)`);
  const { createRequire } = await importNode<NodeModule>('node:module');
  const path = await importNode<NodePath>('node:path');
  try {
    return path.dirname(createRequire(import.meta.url).resolve(`${packageName}/package.json`));
  } catch {
    throw new Error(`${caller}: the npm package '${packageName}' is not installed (npm install ${packageName}), or pass \`source\` (a directory or URL holding its files)`);
  }
}

/**
 * The bytes at `location`, at most `maxBytes` of them from the start (in Node only those are read
 * from disk; a fetch downloads the whole file). Errors name the caller and the location.
 */
export async function readBytes(location: string, caller: string, maxBytes = Infinity): Promise<Uint8Array<ArrayBuffer>> {
  if (isLocalFile(location)) {
    const fs = await importNode<NodeFs>('node:fs/promises');
    const path = await toFilePath(location);
    let handle: Awaited<ReturnType<NodeFs['open']>>;
    try {
      handle = await fs.open(path, 'r');
    } catch (e) {
      throw new Error(`${caller}: cannot read ${path}: ${(e as Error).message}`);
    }
    try {
      const { size } = await handle.stat();
      const bytes = new Uint8Array(Math.min(size, maxBytes));
      let filled = 0;
      while (filled < bytes.length) {
        const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return bytes.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }
  let response: Response;
  try {
    response = await fetch(location);
  } catch (e) {
    throw new Error(`${caller}: cannot fetch ${location}: ${(e as Error).message}`);
  }
  if (!response.ok) throw new Error(`${caller}: cannot fetch ${location}: HTTP ${response.status} ${response.statusText}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return bytes.length > maxBytes ? bytes.subarray(0, maxBytes) : bytes;
}

/** The text at `location` (UTF-8). */
export async function readText(location: string, caller: string): Promise<string> {
  return new TextDecoder('utf-8').decode(await readBytes(location, caller));
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip data with the platform's DecompressionStream (browsers and Node >= 18). */
export async function gunzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
