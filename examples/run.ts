// examples/run.ts: runs one of the examples in this folder by name, passing on the arguments after it.
//
//   npm run example -- NAME [args...]     e.g. npm run example -- char-gpt my-text.txt
//   npm run example                       lists the examples
//
// Each example is also a standalone program: `npx tsx examples/NAME.ts [args...]` does the same.

import { fileURLToPath } from 'node:url';

const examples: Record<string, string> = {
  mlp: 'the smallest program: an MLP learns a 3-arm spiral, the loss printed as it falls',
  'char-gpt': 'a character-level GPT learns the Brown corpus (or your text file), then writes with temperature and top-k',
  'vae-png': 'an MLP VAE learns MNIST digits and writes samples and reconstructions to a PNG (default vae-samples.png)',
  'art-walk': 'a CPPN (random seeded network) walks a loop through its latent space, writing PNG frames (default bench/results/art-walk/)',
};

function usage(): string {
  const width = Math.max(...Object.keys(examples).map((name) => name.length));
  const lines = Object.entries(examples).map(([name, description]) => `  ${name.padEnd(width)}  ${description}`);
  return ['usage: npm run example -- NAME [args...]', '', 'examples:', ...lines].join('\n');
}

const [name, ...args] = process.argv.slice(2);
if (name === undefined || name === '--help' || name === '-h') {
  console.log(usage());
} else if (!Object.hasOwn(examples, name)) {
  console.error(`unknown example '${name}'\n\n${usage()}`);
  process.exitCode = 1;
} else {
  // npm runs scripts from the package root; relative paths in the arguments mean the caller's directory.
  if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  // The example reads its own arguments from process.argv.slice(2), as when it runs by itself.
  const file = new URL(`./${name}.ts`, import.meta.url);
  process.argv = [process.argv[0], fileURLToPath(file), ...args];
  await import(file.href);
}
