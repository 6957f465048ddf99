# Reference (not part of the library): gengpu's image U-Net (src/models/diffusion/unet.ts) and the DDPM recipe
# of DiffusionTrainer restated in PyTorch float32, to replay the same training in gengpu and compare step by step.
# The recipe: linear schedule (betas 1e-4 .. 0.02, T = 1000), epsilon prediction, MSE, Adam, gradient clipping at a
# global norm of 1, a weight average with the ramped decay min(0.999, (1 + step) / (10 + step)), classifier-free
# guidance's label dropout (some labels replaced by the "no class" label numClasses).
# Initial weights come from an integer hash both sides compute (each parameter's mean and spread are in the
# fixture); the images, labels, steps t and noise are drawn here and written out, so gengpu trains on the same
# draws (it passes them to diffusionLossAt). Recorded: each step's loss and gradient norm (before clipping), and
# fingerprints of the final weights and of their average (see fingerprint).
# Needs PyTorch (Debian: apt-get install python3-torch):
#   python3 bench/reference/pytorch_ddpm.py          tests/fixtures/pytorch-ddpm-replay.json, for tests/models/ddpm-pytorch.test.ts
#   python3 bench/reference/pytorch_ddpm.py --long   bench/results/pytorch-ddpm-replay.json, for bench/models/ddpm-replay.ts
import argparse, json, math, pathlib, time
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[2]

# gengpu's UNetConfig fields. Small: 8x8 images, two levels, two classes, every kind of stage once or more.
# Long: 28x28 with defaultUNetConfig's three levels and four heads at a quarter of its widths, so a
# software adapter replays it in minutes. Both are conditional: the fixture's labels are always given.
MODES = {
    'small': dict(
        config=dict(channels=1, size=8, baseChannels=8, channelMults=[1, 2], blocksPerLevel=1, heads=2, groups=4, numClasses=2),
        train=dict(batchSize=4, steps=10, lr=1e-3, betas=[0.9, 0.999], eps=1e-8, gradClip=1.0, emaDecay=0.999, labelDropout=0.25,
                   diffusionSteps=1000, betaStart=1e-4, betaEnd=0.02, seed=0),
        out=ROOT / 'tests' / 'fixtures' / 'pytorch-ddpm-replay.json'),
    'long': dict(
        config=dict(channels=1, size=28, baseChannels=8, channelMults=[1, 2, 2], blocksPerLevel=1, heads=4, groups=4, numClasses=10),
        train=dict(batchSize=4, steps=120, lr=1e-3, betas=[0.9, 0.999], eps=1e-8, gradClip=1.0, emaDecay=0.999, labelDropout=0.1,
                   diffusionSteps=1000, betaStart=1e-4, betaEnd=0.02, seed=1),
        out=ROOT / 'bench' / 'results' / 'pytorch-ddpm-replay.json'),
}
# Noise is written with this many decimals (both sides train on the rounded values): it keeps the fixture small.
NOISE_DECIMALS = 4


def hash32(x: int) -> int:
    """A 32-bit integer hash (the same on the TypeScript side, and in tests/fixtures/pytorch_gpt_replay.py)."""
    x &= 0xFFFFFFFF
    x = ((x ^ (x >> 16)) * 0x7FEB352D) & 0xFFFFFFFF
    x = ((x ^ (x >> 15)) * 0x846CA68B) & 0xFFFFFFFF
    return x ^ (x >> 16)


def hashed_uniform(shape, mean: float, std: float, stream: int) -> torch.Tensor:
    """Element i is mean + (2u - 1) std sqrt(3), u from hash32(stream * 2^20 + i), in float64 then rounded to float32 once."""
    n = math.prod(shape)
    spread = std * math.sqrt(3)
    values = [mean + (2 * ((hash32(stream * (1 << 20) + i) + 0.5) / 2**32) - 1) * spread for i in range(n)]
    return torch.tensor(values, dtype=torch.float32).reshape(shape)


def initial_spread(name: str, shape) -> tuple:
    """(mean, std) of a parameter's hashed initial values. Every layer gets nonzero weights, the ones gengpu starts at
    zero (each block's conv2, the attention's proj, conv_out) included, so that the first step's gradients reach all of
    them; GroupNorm scales sit around 1 and shifts around 0, so that their affine terms matter from the start."""
    if name.endswith('label_embedding.weight'):
        return (0.0, 1.0)
    if len(shape) >= 2:
        return (0.0, 1 / math.sqrt(math.prod(shape[1:])))
    norm = any(part.startswith('norm') for part in name.split('.'))
    return (1.0, 0.1) if norm and name.endswith('.weight') else (0.0, 0.1)


class Conditioning(nn.Module):
    """MLP(sinusoidal(t)) plus the class embedding, whose last row is the "no class" label (conditional models only)."""

    def __init__(self, width: int, num_classes: int):
        super().__init__()
        self.width = width
        self.time_mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.label_embedding = nn.Embedding(num_classes + 1, width)

    def forward(self, t, labels):
        # timestepEmbedding: frequencies in float64 rounded to float32, products and cos/sin in float32.
        half = self.width // 2
        freqs = torch.tensor([math.exp(-math.log(10000) * i / half) for i in range(half)], dtype=torch.float32)
        args = t.float()[:, None] * freqs[None]
        return self.time_mlp(torch.cat([args.cos(), args.sin()], 1)) + self.label_embedding(labels)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, cond: int, groups: int):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(groups, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.cond = nn.Linear(cond, cout)
        self.norm2, self.conv2 = nn.GroupNorm(groups, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, c):
        h = self.conv1(F.silu(self.norm1(x))) + self.cond(F.silu(c))[:, :, None, None]
        out = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + out


class AttentionBlock(nn.Module):
    """Self-attention over the positions; qkv packs q, k and v side by side, each [T, heads, Dh] (packedSelfAttention's layout)."""

    def __init__(self, channels: int, heads: int, groups: int):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups, channels)
        self.qkv, self.proj = nn.Linear(channels, 3 * channels), nn.Linear(channels, channels)

    def forward(self, x):
        n, c, h, w = x.shape
        dh = c // self.heads
        tokens = self.norm(x).reshape(n, c, h * w).transpose(1, 2)
        q, k, v = (z.reshape(n, h * w, self.heads, dh).transpose(1, 2) for z in self.qkv(tokens).split(c, 2))
        probs = F.softmax((q @ k.transpose(-2, -1)) * (1 / math.sqrt(dh)), -1)
        attended = self.proj((probs @ v).transpose(1, 2).reshape(n, h * w, c))
        return x + attended.transpose(1, 2).reshape(n, c, h, w)


class Upsample2x(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode='nearest'))


class UNet(nn.Module):
    """unet.ts's UNet: the same stages in the same order under the same names (conv_in, down_0, ..., middle_i, up_i, norm_out, conv_out)."""

    def __init__(self, channels, size, baseChannels, channelMults, blocksPerLevel, heads, groups, numClasses):
        super().__init__()
        cond = 4 * baseChannels
        self.conditioning = Conditioning(cond, numClasses)
        self.conv_in = nn.Conv2d(channels, baseChannels, 3, padding=1)
        self.stages = []  # (kind, module, pushes a skip, pops a skip)
        widths = [m * baseChannels for m in channelMults]
        skips, width = [baseChannels], baseChannels

        def add(prefix, kind, module, push=False, pop=False):
            self.add_module(f'{prefix}_{len(self.stages)}', module)
            self.stages.append((kind, module, push, pop))

        for level, level_width in enumerate(widths):
            for _ in range(blocksPerLevel):
                add('down', 'block', ResBlock(width, level_width, cond, groups), push=True)
                width = level_width
                skips.append(width)
            if level < len(widths) - 1:
                add('down', 'down', nn.Conv2d(width, width, 3, stride=2, padding=1))
                skips.append(width)
        add('middle', 'block', ResBlock(width, width, cond, groups))
        add('middle', 'attention', AttentionBlock(width, heads, groups))
        add('middle', 'block', ResBlock(width, width, cond, groups))
        for level in reversed(range(len(widths))):
            for _ in range(blocksPerLevel + 1):
                add('up', 'block', ResBlock(width + skips.pop(), widths[level], cond, groups), pop=True)
                width = widths[level]
            if level > 0:
                add('up', 'up', Upsample2x(width))
        self.norm_out = nn.GroupNorm(groups, width)
        self.conv_out = nn.Conv2d(width, channels, 3, padding=1)

    def forward(self, x, t, labels):
        c = self.conditioning(t, labels)
        h = self.conv_in(x)
        skips = [h]
        for kind, module, push, pop in self.stages:
            if kind == 'block':
                h = module(torch.cat([h, skips.pop()], 1) if pop else h, c)
                if push:
                    skips.append(h)
            else:
                h = module(h)
                if kind == 'down':
                    skips.append(h)
        return self.conv_out(F.silu(self.norm_out(h)))


def alphas_cumprod(steps: int, beta_start: float, beta_end: float) -> list:
    """schedule.ts's linear schedule in float64, operation for operation (NumPy's linspace, then the running product)."""
    step = (beta_end - beta_start) / (steps - 1)
    betas = [beta_end if t == steps - 1 else t * step + beta_start for t in range(steps)]
    out, product = [], 1.0
    for beta in betas:
        product *= 1 - beta
        out.append(product)
    return out


def synthetic_images(gen: torch.Generator, classes: torch.Tensor, size: int) -> torch.Tensor:
    """MNIST-like pixels 0..255: a soft stroke on black, a ring for even classes and a bar for odd ones, each placed,
    sized and turned at random."""
    n = classes.shape[0]
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64), indexing='ij')
    centre = size / 2 - 0.5 + (torch.rand(n, 2, generator=gen, dtype=torch.float64) - 0.5) * size / 4
    radius = size * (0.2 + 0.15 * torch.rand(n, generator=gen, dtype=torch.float64))
    angle = math.pi * torch.rand(n, generator=gen, dtype=torch.float64)
    dy, dx = ys - centre[:, 0, None, None], xs - centre[:, 1, None, None]
    ring = ((dy.square() + dx.square()).sqrt() - radius[:, None, None]).abs()
    along = dx * angle.cos()[:, None, None] + dy * angle.sin()[:, None, None]
    across = (-dx * angle.sin()[:, None, None] + dy * angle.cos()[:, None, None]).abs()
    bar = torch.maximum(across, (along.abs() - radius[:, None, None]).clamp(min=0))
    distance = torch.where((classes % 2 == 0)[:, None, None], ring, bar)
    return (255 * torch.exp(-(distance / (size / 20)).square())).round().to(torch.int64)[:, None]


def fingerprint(name: str, w: torch.Tensor) -> dict:
    """Sum, sum of squares and the first four values. The attention's key bias (the middle third of qkv.bias) is left
    out: it adds the same q.b to every score of a query, which softmax ignores, so its gradient is zero but for float
    rounding, and Adam turns that rounding into steps of either sign on each side."""
    if name.endswith('qkv.bias'):
        third = w.shape[0] // 3
        w = torch.cat([w[:third], w[2 * third:]])
    return {'sum': w.double().sum().item(), 'sumOfSquares': w.double().square().sum().item(), 'first': w.flatten()[:4].tolist()}


def main():
    parser = argparse.ArgumentParser(description='Writes a PyTorch DDPM replay fixture for gengpu.')
    parser.add_argument('--long', action='store_true', help='the 28x28 run of bench/models/ddpm-replay.ts instead of the test fixture')
    mode = MODES['long' if parser.parse_args().long else 'small']
    config, train = mode['config'], mode['train']
    torch.manual_seed(0)  # the modules' own init is overwritten below; this only makes the script deterministic
    model = UNet(**config)
    weights = dict(model.named_parameters())
    init = {name: initial_spread(name, tuple(w.shape)) for name, w in weights.items()}
    with torch.no_grad():
        for stream, (name, w) in enumerate(weights.items()):
            w.copy_(hashed_uniform(tuple(w.shape), *init[name], stream))
    average = {name: w.detach().clone() for name, w in weights.items()}
    params = list(weights.values())
    optimizer = torch.optim.Adam(params, lr=train['lr'], betas=tuple(train['betas']), eps=train['eps'])
    cumprod = alphas_cumprod(train['diffusionSteps'], train['betaStart'], train['betaEnd'])
    signal_table = torch.tensor([math.sqrt(a) for a in cumprod], dtype=torch.float32)
    noise_table = torch.tensor([math.sqrt(1 - a) for a in cumprod], dtype=torch.float32)

    gen = torch.Generator().manual_seed(train['seed'])
    B, C, S, K = train['batchSize'], config['channels'], config['size'], config['numClasses']
    record = {'config': config, 'train': train, 'noiseDecimals': NOISE_DECIMALS, 'init': init,
              'images': [], 'labels': [], 't': [], 'noise': [], 'losses': [], 'gradNorms': []}
    started = time.perf_counter()
    for step in range(train['steps']):
        classes = torch.randint(0, K, (B,), generator=gen)
        pixels = synthetic_images(gen, classes, S).expand(B, C, S, S)
        # Pixels to [-1, 1] in float64, rounded to float32 once (gengpu computes the same in JavaScript numbers).
        x0 = (pixels.double() / 127.5 - 1).float()
        dropped = torch.rand(B, generator=gen) < train['labelDropout']
        labels = torch.where(dropped, torch.full_like(classes, K), classes)
        t = torch.randint(0, train['diffusionSteps'], (B,), generator=gen)
        noise_values = [round(v, NOISE_DECIMALS) for v in torch.randn(B, C, S, S, generator=gen, dtype=torch.float64).flatten().tolist()]
        noise = torch.tensor(noise_values, dtype=torch.float32).reshape(B, C, S, S)

        xt = x0 * signal_table[t][:, None, None, None] + noise * noise_table[t][:, None, None, None]
        loss = F.mse_loss(model(xt, t.float(), labels), noise)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, train['gradClip'])
        optimizer.step()
        decay = min(train['emaDecay'], (1 + step + 1) / (10 + step + 1))  # rampedDecay, the step counted from 1
        with torch.no_grad():
            for name, w in weights.items():
                average[name] += (w - average[name]) * (1 - decay)

        record['images'].append(pixels.flatten().tolist())
        record['labels'].append(labels.tolist())
        record['t'].append(t.tolist())
        record['noise'].append(noise_values)
        record['losses'].append(loss.item())
        record['gradNorms'].append(norm.item())
    seconds = time.perf_counter() - started
    record['final'] = {name: fingerprint(name, w.detach()) for name, w in weights.items()}
    record['averageFinal'] = {name: fingerprint(name, w) for name, w in average.items()}
    out = mode['out']
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, separators=(',', ':')) + '\n')
    print(f'{sum(w.numel() for w in params)} parameters, {train["steps"]} steps in {seconds:.1f} s')
    print(f'wrote {out} ({out.stat().st_size // 1024} kB): losses {[round(v, 4) for v in record["losses"][:12]]}{" ..." if train["steps"] > 12 else ""}')


if __name__ == '__main__':
    main()
