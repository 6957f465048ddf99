// The checkpoint files of the demo's language-model pages (Text, Molecules): the trainer's state as a
// safetensors file with the page's model choice, vocabulary and step count in its metadata, and the
// reading back that checks the file came from that page before anything is loaded.
import * as gg from '../src/index.js';

/** What a page stores beside the trainer's state. */
export interface LanguageModelPageFile {
  /** The page's model choice ('gpt', 'rnn', ...). */
  kind: string;
  /** The vocabulary the model was trained with, as the page lists it. */
  vocab: readonly string[];
  /** Steps trained. */
  steps: number;
}

/** The trainer's whole state with the page's choice, vocabulary and steps (and the shell's metadata). */
export function saveLanguageModelPage(trainer: gg.models.LanguageModelTrainer, file: LanguageModelPageFile, extra: Record<string, string>): Promise<Uint8Array> {
  const metadata = { ...extra, 'demo.model': file.kind, 'demo.vocab': JSON.stringify(file.vocab), 'demo.steps': String(file.steps) };
  return gg.models.saveLanguageModelCheckpoint(trainer, metadata);
}

/** A page's metadata from a file saveLanguageModelPage wrote on page `page`, whose model choices are `kinds`; throws for any other file. */
export function readLanguageModelPage(bytes: Uint8Array, page: string, kinds: readonly string[]): LanguageModelPageFile {
  const metadata = gg.io.readHeader(bytes).metadata;
  const kind = metadata['demo.model'];
  if (!kind || !kinds.includes(kind) || !metadata['demo.vocab']) throw new Error(`this checkpoint was not saved from the ${page} page (no demo.model / demo.vocab metadata)`);
  return { kind, vocab: JSON.parse(metadata['demo.vocab']) as string[], steps: Number(metadata['demo.steps'] ?? 0) };
}
