// The io case that runs both in headless Chromium (tests/io/browser-page.html) and in Node: the same
// tensors must serialize to the same bytes in both.
import * as gg from '../../src/index.js';

export interface BrowserCaseResult {
  bytes: number[];
  reloadedBits: number[];
  readFileError: string;
  liveBuffers: number;
}

/** Tensors with awkward f32 bit patterns: 1.5, a NaN with a payload, -0, the smallest denormal. */
export function caseTensors(): Record<string, gg.Tensor> {
  return {
    w: gg.tensor(new Float32Array(new Uint32Array([0x3fc00000, 0x7fc12345, 0x80000000, 0x00000001]).buffer), [2, 2]),
    n: gg.tensor(new Int32Array([-7, 9])),
  };
}

export async function browserCase(): Promise<BrowserCaseResult> {
  await gg.init();
  const tensors = caseTensors();
  const bytes = await gg.io.serialize(tensors, { origin: 'io test' });
  gg.io.downloadBlob(bytes, 'gengpu-io-test.safetensors');
  const reloaded = gg.io.loadTensors(await gg.io.readBrowserFile(new File([bytes], 'gengpu-io-test.safetensors')));
  const values = await reloaded.w.data();
  let readFileError = '';
  try {
    await gg.io.readFile('model.safetensors');
  } catch (e) {
    readFileError = (e as Error).message;
  }
  for (const t of [...Object.values(tensors), ...Object.values(reloaded)]) t.dispose();
  return {
    bytes: [...bytes],
    reloadedBits: [...new Uint32Array(values.buffer, values.byteOffset, values.length)],
    readFileError,
    liveBuffers: gg.runtime().memory().liveBuffers,
  };
}
