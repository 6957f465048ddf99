# Reference (not part of the library): ESPCN trained in PyTorch on the recipe of bench/models/sr.ts, to
# tell what the recipe itself reaches at a step budget, apart from the engine: the same network (5-3-3,
# 64/32 maps, tanh, PyTorch's default init, which gengpu's layers copy), luminance patches of 24 x 24
# low-resolution pixels cut from CBSD68's bicubic downscales with the eight flips and rotations,
# batch 16, Adam 1e-3 with cosine decay to 1e-5, MSE. Set5 is scored as the benchmark scores it (8-bit
# bicubic input, Y of the 8-bit output, `scale` pixels shaved), with MATLAB's imresize restated in
# numpy by matlab_imresize.py. --residual adds the bicubic upscale to the network's output (VDSR's
# global residual), to measure what that buys at the same budget.
#
#   /usr/bin/python3 bench/reference/pytorch_espcn.py [--steps 3000] [--scale 3] [--eval-every 1000] [--residual]
import argparse, math, pathlib, sys, time
import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from matlab_imresize import imresize, rgb2y  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument('--steps', type=int, default=3000)
parser.add_argument('--scale', type=int, default=3)
parser.add_argument('--batch', type=int, default=16)
parser.add_argument('--patch', type=int, default=24)
parser.add_argument('--lr', type=float, default=1e-3)
parser.add_argument('--eval-every', type=int, default=1000)
parser.add_argument('--residual', action='store_true')
parser.add_argument('--threads', type=int, default=1)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.scale)
s = args.scale
data = pathlib.Path(__file__).resolve().parents[3] / 'shared' / 'data' / 'sr'


def load(folder):
    images = []
    for path in sorted((data / folder).glob('*.png')):
        a = np.asarray(Image.open(path)).astype(np.float64)
        images.append(a if a.ndim == 3 else a[:, :, None])
    return images


def luma(a):
    return rgb2y(a.transpose(2, 0, 1)) if a.shape[2] == 3 else a[:, :, 0]


def pair(a):
    """The image cropped to the scale, and its 8-bit bicubic downscale (MATLAB rounds uint8 output)."""
    h, w = a.shape[0] - a.shape[0] % s, a.shape[1] - a.shape[1] % s
    hr = a[:h, :w]
    lr = np.clip(np.round(imresize(hr, scale=[1 / s, 1 / s])), 0, 255)
    return hr, lr


class Espcn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 64, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(64, 32, 3, padding=1)
        self.conv3 = torch.nn.Conv2d(32, s * s, 3, padding=1)

    def forward(self, x):
        y = torch.nn.functional.pixel_shuffle(self.conv3(torch.tanh(self.conv2(torch.tanh(self.conv1(x))))), s)
        if args.residual:
            y = y + torch.nn.functional.interpolate(x, scale_factor=s, mode='bicubic', align_corners=False)
        return y


train = []
for a in load('CBSD68'):
    hr, lr = pair(a)
    train.append((luma(hr) / 255, luma(lr) / 255))
set5 = [pair(a) for a in load('CSet5')]
rng = np.random.default_rng(1000 + s)


def batch():
    lows, highs = [], []
    p = args.patch
    for _ in range(args.batch):
        hr, lr = train[rng.integers(len(train))]
        y, x = rng.integers(lr.shape[0] - p + 1), rng.integers(lr.shape[1] - p + 1)
        low, high = lr[y:y + p, x:x + p], hr[y * s:(y + p) * s, x * s:(x + p) * s]
        k = rng.integers(8)
        if k & 4:
            low, high = low[:, ::-1], high[:, ::-1]
        low, high = np.rot90(low, k & 3), np.rot90(high, k & 3)
        lows.append(low.copy())
        highs.append(high.copy())
    return torch.tensor(np.stack(lows)[:, None], dtype=torch.float32), torch.tensor(np.stack(highs)[:, None], dtype=torch.float32)


def psnr(a, b):
    return 10 * math.log10(255 ** 2 / np.mean((a - b) ** 2))


def evaluate(model):
    scores = []
    with torch.no_grad():
        for hr, lr in set5:
            out = model(torch.tensor(luma(lr)[None, None] / 255, dtype=torch.float32))[0, 0].numpy().astype(np.float64)
            out = np.clip(np.round(out * 255), 0, 255)
            truth = luma(hr)
            scores.append(psnr(out[s:-s, s:-s], truth[s:-s, s:-s]))
    return float(np.mean(scores))


bicubic = np.mean([psnr(np.clip(np.round(luma(np.clip(np.round(imresize(lr, scale=[s, s])), 0, 255))), 0, 255)[s:-s, s:-s], luma(hr)[s:-s, s:-s]) for hr, lr in set5])
print(f'Set5 x{s} bicubic {bicubic:.2f} dB', flush=True)
model = Espcn()
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.steps, eta_min=args.lr / 100)
started = time.time()
running = 0.0
for step in range(1, args.steps + 1):
    low, high = batch()
    loss = torch.nn.functional.mse_loss(model(low), high)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    schedule.step()
    running += loss.item()
    if step % args.eval_every == 0 or step == args.steps:
        print(f'step {step}: loss {running / args.eval_every:.5f}, Set5 x{s} {evaluate(model):.2f} dB ({time.time() - started:.0f} s)', flush=True)
        running = 0.0
