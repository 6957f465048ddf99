// GAN checkpoints: both networks, both Adam optimizers and the trainer's settings and noise stream in
// one safetensors file, so training resumes exactly where it stopped. Names are prefixed by player:
// 'model.generator.<key>', 'model.discriminator.<key>', 'optimizer.generator.state.<i>.<name>', ...
// The trainer's settings go into __metadata__['gan.trainer'] and must match the trainer loaded into.

import { loadCheckpoint, saveCheckpoint, type Stateful, type StatefulOptimizer } from '../io/checkpoint.js';
import { readHeader } from '../io/format.js';
import type { Tensor } from '../tensor.js';
import type { OptimizerHyperparameters } from '../optim/optimizer.js';
import type { GanLoss, GanTrainer } from './gan-train.js';

const TRAINER_KEY = 'gan.trainer';
const PLAYERS = ['generator', 'discriminator'] as const;
type Player = (typeof PLAYERS)[number];

interface TrainerState {
  loss: GanLoss;
  labelSmoothing: number;
  penaltyWeight: number;
  discriminatorSteps: number;
  /** The noise stream's seed (a bigint as a decimal string) and draw offset. */
  seed: string;
  offset: number;
}

/** Splits 'generator.<key>' / 'discriminator.<key>' entries into one record per player. */
function byPlayer(state: Record<string, Tensor>): Record<Player, Record<string, Tensor>> {
  const split: Record<Player, Record<string, Tensor>> = { generator: {}, discriminator: {} };
  for (const [name, t] of Object.entries(state)) {
    const player = PLAYERS.find((p) => name.startsWith(`${p}.`));
    if (!player) throw new Error(`loadGanCheckpoint: unexpected tensor '${name}' (names start with 'generator.' or 'discriminator.')`);
    split[player][name.slice(player.length + 1)] = t;
  }
  return split;
}

function prefixed(player: Player, state: Record<string, Tensor>): [string, Tensor][] {
  return Object.entries(state).map(([name, t]) => [`${player}.${name}`, t]);
}

/** Both networks as one Stateful. */
function networks(trainer: GanTrainer): Stateful {
  return {
    stateDict: () => Object.fromEntries(PLAYERS.flatMap((p) => prefixed(p, trainer[p].stateDict()))),
    loadStateDict: (state, options) => {
      const split = byPlayer(state);
      // Module.loadStateDict checks before it copies; the discriminator's check runs first so that a
      // mismatch there leaves the generator unchanged too.
      trainer.discriminator.loadStateDict(split.discriminator, options);
      trainer.generator.loadStateDict(split.generator, options);
    },
  };
}

/** Both Adam optimizers as one StatefulOptimizer. */
function optimizers(trainer: GanTrainer): StatefulOptimizer {
  const of = { generator: trainer.generatorOptimizer, discriminator: trainer.discriminatorOptimizer };
  return {
    stateDict: () => Object.fromEntries(PLAYERS.flatMap((p) => prefixed(p, of[p].stateDict()))),
    hyperparameters: () => ({ generator: of.generator.hyperparameters(), discriminator: of.discriminator.hyperparameters() }),
    loadStateDict: async (state, hyperparameters) => {
      const split = byPlayer(state);
      const settings = hyperparameters as Partial<Record<Player, OptimizerHyperparameters>> | undefined;
      for (const p of PLAYERS) await of[p].loadStateDict(split[p], settings?.[p]);
    },
  };
}

/** A checkpoint of a GAN trainer: both networks, both optimizers, its settings and noise stream, and `metadata`. */
export function saveGanCheckpoint(trainer: GanTrainer, metadata: Record<string, string> = {}): Promise<Uint8Array<ArrayBuffer>> {
  if (TRAINER_KEY in metadata) throw new Error(`saveGanCheckpoint: the metadata key '${TRAINER_KEY}' is reserved for the trainer's settings`);
  const { seed, offset } = trainer.noise.getState();
  const state: TrainerState = {
    loss: trainer.loss,
    labelSmoothing: trainer.labelSmoothing,
    penaltyWeight: trainer.penaltyWeight,
    discriminatorSteps: trainer.discriminatorSteps,
    seed: seed.toString(),
    offset,
  };
  return saveCheckpoint({ model: networks(trainer), optimizer: optimizers(trainer), metadata: { ...metadata, [TRAINER_KEY]: JSON.stringify(state) } });
}

/**
 * Restores a checkpoint from saveGanCheckpoint into a trainer built with the same networks and
 * settings (loss, label smoothing, penalty weight, discriminator steps); returns the file's metadata.
 */
export async function loadGanCheckpoint(bytes: Uint8Array, trainer: GanTrainer): Promise<Record<string, string>> {
  const stored = readHeader(bytes).metadata[TRAINER_KEY];
  if (stored === undefined) throw new Error(`loadGanCheckpoint: the file has no __metadata__['${TRAINER_KEY}']; it was not written by saveGanCheckpoint`);
  const state = JSON.parse(stored) as TrainerState;
  const mismatched = (['loss', 'labelSmoothing', 'penaltyWeight', 'discriminatorSteps'] as const).filter((key) => state[key] !== trainer[key]);
  if (mismatched.length > 0) {
    throw new Error(
      `loadGanCheckpoint: the file was trained with ${mismatched.map((k) => `${k} ${state[k]}`).join(', ')}; ` +
        `the trainer has ${mismatched.map((k) => `${k} ${trainer[k]}`).join(', ')}`,
    );
  }
  const { metadata } = await loadCheckpoint(bytes, { model: networks(trainer), optimizer: optimizers(trainer) });
  trainer.noise.setState({ seed: BigInt(state.seed), offset: state.offset });
  return metadata;
}
