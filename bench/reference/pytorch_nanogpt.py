# Reference (not part of the library): nanoGPT's CPU shakespeare_char run restated in PyTorch, to tell
# what the recipe itself reaches from what gengpu reaches (bench/models/gpt.ts runs the same recipe).
# 4 layers, 4 heads, width 128, block 64, batch 12, no biases, no dropout, exact GELU, weights tied;
# AdamW (0.9, 0.99), weight decay 0.1 on matrices, lr 1e-3 with 100 warmup steps and a cosine to 1e-4
# at 2000 iterations, gradient clipping at 1; tiny Shakespeare split 90/10, character vocabulary.
# Prints nanoGPT's noisy validation estimate (20 random batches) every 250 steps, and at the end the
# loss over the whole validation split and the mean of 200 random batches.
# Needs PyTorch (Debian: apt-get install python3-torch):
#   python3 bench/reference/pytorch_nanogpt.py [--seed 1337] [--iters 2000]
#   ... --dump out/run    also writes out/run-init.safetensors (the initial weights) and out/run.json
#                         (every step's batch starts and loss, the final figures) for bench/models/gpt-replay.ts
# tests/fixtures/pytorch_gpt_replay.py imports the model and the schedule from here.
import argparse, json, math, pathlib, struct, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerNorm(nn.Module):
    """LayerNorm with a weight and no bias (nanoGPT's bias=False), eps 1e-5."""

    def __init__(self, c: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, None, 1e-5)


class Block(nn.Module):
    """Pre-LayerNorm causal self-attention and a GELU MLP, each added to the residual stream."""

    def __init__(self, c: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln_1, self.ln_2 = LayerNorm(c), LayerNorm(c)
        self.c_attn, self.attn_proj = nn.Linear(c, 3 * c, bias=False), nn.Linear(c, c, bias=False)
        self.c_fc, self.mlp_proj = nn.Linear(c, 4 * c, bias=False), nn.Linear(4 * c, c, bias=False)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in self.c_attn(self.ln_1(x)).split(c, 2))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.heads)
        scores = scores.masked_fill(~torch.tril(torch.ones(t, t, dtype=torch.bool)), float('-inf'))
        x = x + self.attn_proj((F.softmax(scores, -1) @ v).transpose(1, 2).reshape(b, t, c))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    """nanoGPT without biases or dropout; the output head is tied to the token embedding."""

    def __init__(self, vocab_size: int, block_size: int, n_layer: int, n_head: int, n_embd: int):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab_size, n_embd), nn.Embedding(block_size, n_embd)
        self.h = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.ln_f = LayerNorm(n_embd)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, 0, 0.02)
        for block in self.h:  # nanoGPT's scaled init of the two residual projections
            for proj in (block.attn_proj, block.mlp_proj):
                nn.init.normal_(proj.weight, 0, 0.02 / math.sqrt(2 * n_layer))

    def forward(self, idx):
        """Next-token logits [B, T, vocab]."""
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.T

    def named_weights(self):
        """The weights under nanoGPT's (and gengpu's) state-dict names."""
        out = {'transformer.wte.weight': self.wte.weight, 'transformer.wpe.weight': self.wpe.weight}
        for i, b in enumerate(self.h):
            p = f'transformer.h.{i}.'
            out.update({p + 'ln_1.weight': b.ln_1.weight, p + 'attn.c_attn.weight': b.c_attn.weight, p + 'attn.c_proj.weight': b.attn_proj.weight,
                        p + 'ln_2.weight': b.ln_2.weight, p + 'mlp.c_fc.weight': b.c_fc.weight, p + 'mlp.c_proj.weight': b.mlp_proj.weight})
        out['transformer.ln_f.weight'] = self.ln_f.weight
        return out


def cosine_lr(step: int, lr: float, min_lr: float, warmup: int, steps: int) -> float:
    """nanoGPT's get_lr: linear warmup, then a cosine from lr down to min_lr at `steps`."""
    if step < warmup:
        return lr * (step + 1) / (warmup + 1)
    return min_lr + 0.5 * (1 + math.cos(math.pi * min((step - warmup) / (steps - warmup), 1))) * (lr - min_lr)


def adamw(weights, lr: float, betas, weight_decay: float):
    """nanoGPT's AdamW: weight decay on matrices and embeddings only."""
    params = list(weights)
    return torch.optim.AdamW([{'params': [p for p in params if p.dim() >= 2], 'weight_decay': weight_decay},
                              {'params': [p for p in params if p.dim() < 2], 'weight_decay': 0.0}], lr=lr, betas=betas)


def save_safetensors(path: str, tensors) -> None:
    """float32 tensors in the safetensors format (an 8-byte header length, a JSON header, the data)."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().float().numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    pathlib.Path(path).write_bytes(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--seed', type=int, default=1337)
    parser.add_argument('--iters', type=int, default=2000)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--dump', help='path prefix for the initial weights and the batch record')
    parser.add_argument('--text', default=str(pathlib.Path(__file__).resolve().parents[3] / 'shared' / 'data' / 'tinyshakespeare.txt'))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    text = pathlib.Path(args.text).read_text()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    tokens = torch.tensor([index[c] for c in text])
    cut = int(0.9 * len(tokens))
    splits = {'train': tokens[:cut], 'val': tokens[cut:]}
    V, T, B = len(chars), 64, 12
    model = GPT(V, T, n_layer=4, n_head=4, n_embd=128)
    params = list(model.parameters())
    optimizer = adamw(params, 1e-3, (0.9, 0.99), 0.1)
    loss_of = lambda x, y: F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1))

    def batch(split: str, record=None):
        data = splits[split]
        starts = torch.randint(len(data) - T, (B,))
        if record is not None:
            record.append(starts.tolist())
        return torch.stack([data[s:s + T] for s in starts]), torch.stack([data[s + 1:s + 1 + T] for s in starts])

    @torch.no_grad()
    def estimate(split: str, batches: int = 20) -> float:
        model.eval()
        value = sum(loss_of(*batch(split)).item() for _ in range(batches)) / batches
        model.train()
        return value

    @torch.no_grad()
    def whole_validation_split() -> float:
        """Mean loss over consecutive windows of T tokens covering the validation split."""
        model.eval()
        data, total, count = splits['val'], 0.0, 0
        starts = list(range(0, len(data) - T - 1, T))
        for i in range(0, len(starts), 256):
            chunk = starts[i:i + 256]
            total += loss_of(torch.stack([data[s:s + T] for s in chunk]), torch.stack([data[s + 1:s + 1 + T] for s in chunk])).item() * len(chunk)
            count += len(chunk)
        model.train()
        return total / count

    if args.dump:
        save_safetensors(args.dump + '-init.safetensors', model.named_weights())
    record = {'starts': [], 'losses': []}
    started = time.time()
    for step in range(args.iters + 1):
        for group in optimizer.param_groups:
            group['lr'] = cosine_lr(step, 1e-3, 1e-4, 100, args.iters)
        if step % 250 == 0 or step == args.iters:
            print(f'step {step}: train {estimate("train"):.4f}, val {estimate("val"):.4f} (nanoGPT-style estimates, 20 batches)  {time.time() - started:.0f} s', flush=True)
        if step == args.iters:
            break
        loss = loss_of(*batch('train', record['starts']))
        record['losses'].append(loss.item())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
    seconds = time.time() - started
    whole = whole_validation_split()
    print(f'seed {args.seed}: val over the whole split {whole:.4f} nats; mean of 200 random batches {estimate("val", 200):.4f}; '
          f'{seconds:.0f} s, {args.iters * B * T / seconds:.0f} tokens/s')
    if args.dump:
        record.update(seed=args.seed, iters=args.iters, wholeSplitVal=whole)
        pathlib.Path(args.dump + '.json').write_text(json.dumps(record))


if __name__ == '__main__':
    main()
