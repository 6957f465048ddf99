# Writes tests/fixtures/pytorch-cross-entropy.json: PyTorch's F.cross_entropy and F.nll_loss where
# their semantics are easy to get wrong, for tests/nn/losses.test.ts to compare gengpu's against:
# class weights with ignore_index and label smoothing together (the mean divides by the kept
# targets' weights, the smoothing term sums weight * log-probability over the classes), an
# ignore_index that is a real class, probability targets with weights and smoothing (the mean
# divides by the number of positions), and nll_loss with weights and ignore_index. Each case holds
# its inputs, and per reduction the loss and the gradient of sum(loss * probe) with respect to the
# logits (and the probability target). Computed in float64 from float32-representable inputs.
#
#   /usr/bin/python3 bench/reference/pytorch_cross_entropy.py
import json, pathlib
import torch
import torch.nn.functional as F

torch.manual_seed(0)
out_path = pathlib.Path(__file__).resolve().parents[2] / 'tests' / 'fixtures' / 'pytorch-cross-entropy.json'


def f32(t):
    """float32-representable values, held in float64."""
    return t.float().double()


def flat(t):
    return [float(v) for v in t.reshape(-1).tolist()]


def case(name, fn, logits_shape, target, weight=None, ignore_index=-100, label_smoothing=0.0, probabilities=False):
    logits = f32(torch.randn(logits_shape) * 2)
    entry = {
        'name': name,
        'fn': fn,
        'logits': {'shape': list(logits_shape), 'data': flat(logits)},
        'target': {'shape': list(target.shape), 'data': flat(target), 'dtype': 'f32' if probabilities else 'i32'},
        'weight': flat(weight) if weight is not None else None,
        'ignoreIndex': ignore_index,
        'labelSmoothing': label_smoothing,
        'reductions': {},
    }
    for reduction in ['mean', 'sum', 'none']:
        x = logits.clone().requires_grad_()
        t = target.clone().requires_grad_() if probabilities else target
        if fn == 'nllLoss':
            loss = F.nll_loss(torch.log_softmax(x, 1), t, weight=weight, ignore_index=ignore_index, reduction=reduction)
        else:
            loss = F.cross_entropy(x, t, weight=weight, ignore_index=ignore_index, label_smoothing=label_smoothing, reduction=reduction)
        probe = f32(torch.linspace(-1, 1, loss.numel()).reshape(loss.shape)) if loss.dim() > 0 else torch.tensor(1.0, dtype=torch.float64)
        (loss * probe).sum().backward()
        entry['reductions'][reduction] = {
            'loss': {'shape': list(loss.shape), 'data': flat(loss.detach())},
            'probe': flat(probe),
            'logitsGrad': flat(x.grad),
            'targetGrad': flat(t.grad) if probabilities else None,
        }
    return entry


def classes(shape, count, ignored=(), ignore_index=-100):
    t = torch.randint(0, count, shape)
    for position in ignored:
        t.view(-1)[position] = ignore_index
    return t


weight4 = f32(torch.rand(4) + 0.25)
weight5 = f32(torch.rand(5) + 0.25)
cases = [
    case('weight, ignoreIndex -100 and labelSmoothing 0.2, [6, 4]', 'crossEntropy', (6, 4), classes((6,), 4, ignored=(1, 4)), weight4, -100, 0.2),
    case('weight, ignoreIndex 2 (a real class) and labelSmoothing 0.1, [2, 5, 3]', 'crossEntropy', (2, 5, 3), classes((2, 3), 5), weight5, 2, 0.1),
    case('ignoreIndex and labelSmoothing without weight, [7, 5]', 'crossEntropy', (7, 5), classes((7,), 5, ignored=(0, 3, 6)), None, -100, 0.3),
    case('probability targets, weight and labelSmoothing 0.15, [3, 4, 2]', 'crossEntropy', (3, 4, 2), f32(torch.softmax(torch.randn(3, 4, 2), 1)), weight4, -100, 0.15, True),
    case('nllLoss, weight and ignoreIndex 1, [5, 4]', 'nllLoss', (5, 4), classes((5,), 4), weight4, 1),
]
# Make sure the ignore_index-2 case ignores something and keeps something.
assert any(c['ignoreIndex'] in c['target']['data'] for c in cases[1:2])

out_path.write_text(json.dumps({'torch': torch.__version__, 'cases': cases}) + '\n')
print(f'wrote {out_path} ({len(cases)} cases)')
