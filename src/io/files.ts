// Getting bytes to and from where users keep them: files in Node, downloads and file pickers in the
// browser. Node's fs is imported only when called, so this module loads in a browser too.

type NodeFs = typeof import('node:fs/promises');

async function nodeFs(op: string): Promise<NodeFs> {
  const moduleName = 'node:fs/promises'; // kept in a variable so browser bundlers leave this import alone
  try {
    return await import(/* @vite-ignore */ moduleName);
  } catch (e) {
    throw new Error(`${op}: needs Node's file system (${(e as Error).message}); in a browser use downloadBlob / readBrowserFile`);
  }
}

/**
 * Writes bytes to a file in Node. The bytes go to `<path>.tmp` first and are then renamed over `path`,
 * so a crash mid-write never leaves a truncated checkpoint in place of the previous one.
 */
export async function saveFile(path: string, bytes: Uint8Array): Promise<void> {
  const fs = await nodeFs('saveFile');
  const temporary = `${path}.tmp`;
  try {
    await fs.writeFile(temporary, bytes);
    await fs.rename(temporary, path);
  } catch (e) {
    await fs.rm(temporary, { force: true });
    throw new Error(`saveFile: writing ${bytes.length} bytes to ${path} failed: ${(e as Error).message}`);
  }
}

/** Reads a whole file in Node. */
export async function readFile(path: string): Promise<Uint8Array> {
  const fs = await nodeFs('readFile');
  try {
    const buffer = await fs.readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
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
