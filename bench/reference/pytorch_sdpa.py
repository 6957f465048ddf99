# Writes tests/fixtures/sdpa.json: scaled dot-product attention as PyTorch computes it, for
# tests/nn/attention.test.ts to match with gg.nn.functional.scaledDotProductAttention. PyTorch 1.13
# has the op as the private F._scaled_dot_product_attention (boolean masks, true = attend, and
# is_causal with the mask aligned to the first key: query i sees keys j <= i); the float-mask case with
# an explicit scale, which 1.13's op lacks, is the reference PyTorch 2 documents for
# F.scaled_dot_product_attention, written with torch ops. Inputs are float32 values; outputs and the
# gradients of loss = sum(out * weights) are computed in float64.
#   /usr/bin/python3 bench/reference/pytorch_sdpa.py
import pathlib, sys
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from fixture_json import tensor_json, write_fixture  # noqa: E402


def documented_reference(q, k, v, mask, scale):
    """PyTorch 2's documented math for a float mask: softmax(q kᵀ * scale + mask) v."""
    return torch.softmax(q @ k.transpose(-2, -1) * scale + mask, dim=-1) @ v


def case(name, q_shape, k_shape, v_shape, mask=None, causal=False, scale=None, grad_mask=False):
    q, k, v = (torch.randn(s).float().double().requires_grad_() for s in (q_shape, k_shape, v_shape))
    float_mask = mask is not None and mask.dtype != torch.bool
    if float_mask:
        mask = mask.double().requires_grad_(grad_mask)
        out = documented_reference(q, k, v, mask, scale)
    else:
        out, _ = F._scaled_dot_product_attention(q, k, v, mask, 0.0, False, causal)
    weights = torch.randn(out.shape).float().double()
    (out * weights).sum().backward()
    result = {
        'name': name, 'causal': causal, 'scale': scale, 'floatMask': float_mask,
        'q': tensor_json(q), 'k': tensor_json(k), 'v': tensor_json(v), 'weights': tensor_json(weights),
        'out': tensor_json(out), 'dq': tensor_json(q.grad), 'dk': tensor_json(k.grad), 'dv': tensor_json(v.grad),
    }
    if mask is not None:
        result['mask'] = tensor_json(mask)
        if grad_mask:
            result['dmask'] = tensor_json(mask.grad)
    return result


def main():
    torch.manual_seed(23)
    keep = torch.rand(4, 6) < 0.6
    keep[:, 0] = True  # every query keeps a key (a row with none gives NaN, in PyTorch as in gengpu)
    float_mask = torch.randn(2, 4, 5).float()
    float_mask[0, 1, 2] = float('-inf')
    cases = [
        case('no mask, 3 keys per query row', [2, 2, 3, 8], [2, 2, 4, 8], [2, 2, 4, 8]),
        case('boolean mask [L, S] broadcast, value width 7', [2, 3, 4, 5], [2, 3, 6, 5], [2, 3, 6, 7], mask=keep),
        case('causal, L = S', [1, 2, 5, 4], [1, 2, 5, 4], [1, 2, 5, 4], causal=True),
        case('causal, fewer queries than keys', [1, 2, 3, 4], [1, 2, 5, 4], [1, 2, 5, 4], causal=True),
        case('causal, more queries than keys', [1, 1, 5, 3], [1, 1, 3, 3], [1, 1, 3, 3], causal=True),
        case('float mask with -inf, scale 0.3, rank 3', [2, 4, 3], [2, 5, 3], [2, 5, 3], mask=float_mask, scale=0.3, grad_mask=True),
    ]
    write_fixture('sdpa.json', {'cases': cases})


main()
