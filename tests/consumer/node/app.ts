// A strict Node TypeScript consumer: only typechecked (tsc --noEmit), to prove gengpu's types work
// under `module: nodenext` with @types/node, through both 'gengpu' and 'gengpu/node'.
import * as gg from 'gengpu';
import { init } from 'gengpu/node';
import { trainTinyModel, type TrainingReport } from './train.js';

const runtime: gg.Runtime = await init();
const report: TrainingReport = await trainTinyModel(10);
const image: Uint8Array = await gg.metrics.encodePng({ width: 1, height: 1, channels: 1, pixels: new Uint8Array([255]) });
await gg.io.saveFile('pixel.png', image);
console.log(runtime.adapterInfo.vendor, report.lastLoss < report.firstLoss, process.version);
