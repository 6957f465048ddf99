# Reference (not part of the library): bench/models/molecules.ts's GPT recipe on MOSES's train10k restated in
# PyTorch, to tell what the recipe itself reaches within a step budget from what gengpu reaches. The same
# SMILES-aware tokens (Cl, Br, bracket atoms and ring digits as tokens), molecules packed as
# <start> tokens <end> in a seeded random order with the last 5% of the tokens held out, random windows of
# --block tokens, batch --batch; the GPT of pytorch_nanogpt.py (4 layers, 4 heads, width --width, no
# biases, tied head; no dropout where the gengpu run has 0.1), AdamW (0.9, 0.99) with weight decay 0.1 on
# matrices, lr --lr with min(100, steps / 10) warmup steps and a cosine to lr / 10, clipping at 1.
# Prints the validation loss (nats per token, 20 random batches) every --eval-every steps, then samples
# --samples molecules at temperature 1 (each from the start token until the end token, at most 100 tokens,
# the context cropped to the block) and writes them one per line to --out, for
#   npx tsx bench/models/molecules.ts --score FILE
# to count with MOSES's metrics (RDKit runs there). Needs PyTorch (Debian: apt-get install python3-torch):
#   python3 bench/reference/pytorch_smiles_gpt.py --steps 700 --samples 1000 --out /tmp/smiles-700.txt
import argparse, math, pathlib, random, re, time
import torch
import torch.nn.functional as F
from pytorch_nanogpt import GPT, adamw, cosine_lr

TOKEN = re.compile(r'\[[^\][]+\]|Br|Cl|[BCNOPSFI]|[bcnops]|%\d{2}|\d|[=#\-+\\/:~@?*$.()]')


def tokenize(smiles: str) -> list:
    tokens = TOKEN.findall(smiles)
    if ''.join(tokens) != smiles:
        raise ValueError(f'cannot tokenize {smiles}')
    return tokens


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--csv', default=str(pathlib.Path(__file__).resolve().parents[3] / 'shared' / 'data' / 'moses' / 'train10k.csv'))
    parser.add_argument('--steps', type=int, default=700)
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--block', type=int, default=64)
    parser.add_argument('--width', type=int, default=128)
    parser.add_argument('--lr', type=float, default=2e-3)
    parser.add_argument('--eval-every', type=int, default=250)
    parser.add_argument('--samples', type=int, default=1000)
    parser.add_argument('--seed', type=int, default=1337)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    rows = pathlib.Path(args.csv).read_text().strip().split('\n')
    column = rows[0].split(',').index('SMILES')
    molecules = [row.split(',')[column] for row in rows[1:]]
    random.Random(args.seed).shuffle(molecules)
    vocab = ['<pad>', '<start>', '<end>'] + sorted({t for m in molecules for t in tokenize(m)})
    index = {t: i for i, t in enumerate(vocab)}
    ids = [i for m in molecules for i in [1] + [index[t] for t in tokenize(m)] + [2]]
    data = torch.tensor(ids, dtype=torch.long)
    split = int(len(data) * 0.95)
    train, val = data[:split], data[split:]
    print(f'{len(molecules)} molecules, {len(data)} tokens, vocabulary {len(vocab)}')

    model = GPT(len(vocab), args.block, 4, 4, args.width)
    optimizer = adamw(model.parameters(), args.lr, (0.9, 0.99), 0.1)
    warmup = min(100, args.steps // 10)

    def batch(source):
        starts = torch.randint(len(source) - args.block - 1, (args.batch,))
        x = torch.stack([source[s:s + args.block] for s in starts])
        y = torch.stack([source[s + 1:s + 1 + args.block] for s in starts])
        return x, y

    @torch.no_grad()
    def val_loss():
        model.eval()
        losses = [F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item() for x, y in (batch(val) for _ in range(20))]
        model.train()
        return sum(losses) / len(losses)

    started = time.time()
    for step in range(args.steps + 1):
        if step % args.eval_every == 0 or step == args.steps:
            print(f'step {step}: val loss {val_loss():.4f} nats/token ({time.time() - started:.0f} s)', flush=True)
        if step == args.steps:
            break
        for group in optimizer.param_groups:
            group['lr'] = cosine_lr(step, args.lr, args.lr / 10, warmup, args.steps)
        x, y = batch(train)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    model.eval()
    samples = []
    with torch.no_grad():
        for begin in range(0, args.samples, 250):
            n = min(250, args.samples - begin)
            seq = torch.ones(n, 1, dtype=torch.long)
            done = torch.zeros(n, dtype=torch.bool)
            for _ in range(100):
                logits = model(seq[:, -args.block:])[:, -1]
                token = torch.multinomial(F.softmax(logits, -1), 1)
                token[done] = 0
                seq = torch.cat([seq, token], 1)
                done |= token[:, 0] == 2
                if done.all():
                    break
            for row in seq[:, 1:].tolist():
                samples.append(''.join(vocab[i] for i in (row[:row.index(2)] if 2 in row else row) if i > 2))
            print(f'sampled {len(samples)} / {args.samples} ({time.time() - started:.0f} s)', flush=True)
    pathlib.Path(args.out).write_text('\n'.join(samples) + '\n')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
