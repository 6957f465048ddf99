// The vite vanilla-ts app of the consumer check: trains the tiny model in the page and reports the
// losses to the test through window.__gengpuResult (or the error through window.__gengpuError).
import { trainTinyModel } from './train.ts';

const report = window as unknown as { __gengpuResult?: unknown; __gengpuError?: string };
const status = document.getElementById('status')!;

trainTinyModel().then(
  (result) => {
    status.textContent = `loss ${result.firstLoss.toFixed(4)} -> ${result.lastLoss.toFixed(4)} on ${result.adapter}`;
    report.__gengpuResult = result;
  },
  (error: Error) => {
    status.textContent = error.message;
    report.__gengpuError = error.message;
  },
);
