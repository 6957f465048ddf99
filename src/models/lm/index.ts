// Character-level language models, the public entry: import everything language-model from here.
//   gpt.ts             GPT (nanoGPT's architecture) with a KV-cache decoder;
//   rnn.ts             the char-RNN (embedding, gg.nn.GRU, a linear head);
//   language-model.ts  the LanguageModel interface both implement, and sampleText;
//   sampling.ts        temperature, top-k and top-p sampling and the generation loop;
//   trainer.ts         LanguageModelTrainer, a Trainer (nanoGPT's recipe), and trainLanguageModel;
//   checkpoint.ts      trainer checkpoints that resume exactly;
//   eval.ts            loss, bits per character and perplexity on a split.

export * from './gpt.js';
export * from './rnn.js';
export * from './sampling.js';
export { sampleText, type LanguageModel } from './language-model.js';
export { evaluate, evaluationOf, formatEvaluation, type Evaluation, type EvaluateOptions } from './eval.js';
export {
  LanguageModelTrainer,
  trainLanguageModel,
  type TokenBatch,
  type LanguageModelTrainerOptions,
  type TrainLanguageModelOptions,
  type LanguageModelProgress,
  type EvalPoint,
  type TrainResult,
} from './trainer.js';
export { saveLanguageModelCheckpoint, loadLanguageModelCheckpoint } from './checkpoint.js';
