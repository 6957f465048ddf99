// Getting bytes to and from where users keep them: files where the platform has a file system (Node),
// downloads and file pickers in the browser.

import { platform, type LocalFileSystem } from '../platform.js';

function fileSystem(op: string): LocalFileSystem {
  const files = platform().files;
  if (!files) throw new Error(`${op}: needs a file system, which gengpu has in Node (through its Node entry); in a browser use downloadBlob / readBrowserFile`);
  return files;
}

/**
 * Writes bytes to a file (Node). The bytes go to `<path>.tmp` first and are then renamed over `path`,
 * so a crash mid-write never leaves a truncated checkpoint in place of the previous one.
 */
export async function saveFile(path: string, bytes: Uint8Array): Promise<void> {
  const files = fileSystem('saveFile');
  try {
    await files.writeFile(path, bytes);
  } catch (e) {
    throw new Error(`saveFile: writing ${bytes.length} bytes to ${path} failed: ${(e as Error).message}`);
  }
}

/** Reads a whole file (Node). */
export async function readFile(path: string): Promise<Uint8Array> {
  const files = fileSystem('readFile');
  try {
    return await files.readFile(path);
  } catch (e) {
    throw new Error(`readFile: reading ${path} failed: ${(e as Error).message}`);
  }
}

/** Offers bytes to the browser's user as a file download (a Blob behind a clicked, invisible link). */
export function downloadBlob(bytes: Uint8Array, filename: string): void {
  if (typeof document === 'undefined') throw new Error('downloadBlob: needs a browser page (no document here); in Node use saveFile');
  // A Blob cannot take a view of shared memory, so such bytes are copied first.
  const part = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
  const blob = new Blob([part], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  try {
    link.click();
  } finally {
    link.remove();
    // The download starts from the click; the URL can go once this task ends.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}

/** The bytes of a File from an <input type="file"> or a drop (any Blob). */
export async function readBrowserFile(file: Blob): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await file.arrayBuffer());
}
