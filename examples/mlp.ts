// examples/mlp.ts: the smallest end-to-end program. Trains a small MLP on the GPU to classify a 3-arm
// spiral and prints the loss falling, with steps/s, then the training accuracy. Everything — forward,
// backward, the SGD-with-momentum update — runs as WGSL kernels; JS only reads the loss to print it.
//
//   npm run example -- mlp        (from this repository)
//   npx tsx examples/mlp.ts       (the same, or in your project against the installed package)
//
// Bigger runs: raise `pointsPerArm`, `hidden` or `steps` below.

import * as gg from 'gengpu';

const arms = 3;
const pointsPerArm = 200;
const hidden = 64;
const steps = 300;
const learningRate = 0.5;
const momentum = 0.9;

/** A 3-arm spiral (the classic CS231n toy set): not linearly separable, easy for a small MLP. */
function spiral(seed: number): { points: Float32Array; labels: Int32Array } {
  let state = seed;
  const noise = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 0.4;
  };
  const points = new Float32Array(arms * pointsPerArm * 2);
  const labels = new Int32Array(arms * pointsPerArm);
  for (let arm = 0; arm < arms; arm++) {
    for (let i = 0; i < pointsPerArm; i++) {
      const k = arm * pointsPerArm + i;
      const radius = i / pointsPerArm;
      const angle = (arm * 2 * Math.PI) / arms + radius * 4 + noise();
      points[2 * k] = radius * Math.sin(angle);
      points[2 * k + 1] = radius * Math.cos(angle);
      labels[k] = arm;
    }
  }
  return { points, labels };
}

async function main(): Promise<void> {
  const rt = await gg.init();
  console.log(`GPU adapter: ${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`.trim());

  const { points, labels } = spiral(7);
  const n = labels.length;
  const x = gg.tensor(points, [n, 2]);
  const y = gg.tensor(labels, [n]);
  const targets = gg.oneHot(y, arms);

  gg.manualSeed(0);
  // He initialisation: weights ~ N(0, 2 / fan_in), biases 0.
  const parameters = [
    gg.normal([2, hidden], 0, Math.sqrt(2 / 2)),
    gg.zeros([hidden]),
    gg.normal([hidden, hidden], 0, Math.sqrt(2 / hidden)),
    gg.zeros([hidden]),
    gg.normal([hidden, arms], 0, Math.sqrt(2 / hidden)),
    gg.zeros([arms]),
  ].map((p) => p.requiresGrad_());
  const velocities = parameters.map((p) => gg.zerosLike(p));
  const [w1, b1, w2, b2, w3, b3] = parameters;
  const forward = () => x.matmul(w1).add(b1).relu().matmul(w2).add(b2).relu().matmul(w3).add(b3);

  const started = performance.now();
  for (let step = 1; step <= steps; step++) {
    const loss = gg.scope(() => {
      // Cross-entropy: mean over points of -log softmax(logits)[label].
      const l = forward().logSoftmax(-1).mul(targets).sum(-1).mean().neg();
      l.backward();
      gg.noGrad(() => {
        parameters.forEach((p, i) => {
          const v = velocities[i].assign(velocities[i].mul(momentum).add(p.grad!));
          p.assign(p.sub(v.mul(learningRate)));
          p.grad!.dispose();
          p.grad = null;
        });
      });
      return l;
    });
    if (step === 1 || step % 25 === 0) {
      const value = await loss.item(); // the only GPU -> JS sync, once per printed line
      if (!Number.isFinite(value)) throw new Error(`training diverged: loss is ${value} at step ${step}`);
      const seconds = (performance.now() - started) / 1000;
      console.log(`step ${String(step).padStart(4)}  loss ${value.toFixed(4)}  ${(step / seconds).toFixed(1)} steps/s`);
    }
    loss.dispose();
  }

  const accuracy = gg.scope(() => gg.noGrad(() => forward().argmax(-1).eq(y).mean()));
  console.log(`training accuracy: ${((await accuracy.item()) * 100).toFixed(1)}% on ${n} points`);
  accuracy.dispose();
  for (const t of [x, y, targets, ...parameters, ...velocities]) t.dispose();
  console.log(`live GPU buffers at the end: ${rt.memory().liveBuffers}`);
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => gg.shutdown()); // releases the GPU device so the process can exit
