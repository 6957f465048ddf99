# Writes tests/fixtures/mha.json: torch.nn.MultiheadAttention run on small seeded cases, for
# tests/nn/multihead-attention.test.ts to load each module's state_dict into gg.nn.MultiheadAttention
# and match its outputs, attention weights and gradients. Each case records the constructor's
# arguments, the state_dict (float32 values from PyTorch's own seeded init), the inputs and masks
# (flagged 'boolean' or not; boolean ones as 0 and 1, 1 = masked out, as MultiheadAttention reads
# them), and, computed in
# float64, the output, the weights and the gradients of loss = sum(output * outWeights) with respect to
# the inputs and every parameter. PyTorch 1.13's forward has no is_causal: the causal case passes the
# boolean causal mask, which gengpu's test replaces with isCausal.
#   /usr/bin/python3 bench/reference/pytorch_mha.py
import pathlib, sys
import torch
import torch.nn as nn

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from fixture_json import tensor_json, write_fixture  # noqa: E402


def case(name, module_args, shapes, self_attention=False, key_padding_mask=None, attn_mask=None, causal=False,
         average_attn_weights=True):
    mha = nn.MultiheadAttention(**module_args)
    state = {key: tensor_json(t) for key, t in mha.state_dict().items()}
    mha = mha.double()
    query = torch.randn(shapes[0]).double().requires_grad_()
    key, value = (query, query) if self_attention else (torch.randn(s).double().requires_grad_() for s in shapes[1:])
    length = shapes[0][1] if module_args.get('batch_first') else shapes[0][0]
    mask = torch.ones(length, length, dtype=torch.bool).triu(1) if causal else attn_mask
    out, weights = mha(query, key, value, key_padding_mask=key_padding_mask, need_weights=True, attn_mask=mask,
                       average_attn_weights=average_attn_weights)
    out_weights = torch.randn(out.shape).double()
    (out * out_weights).sum().backward()
    result = {
        'name': name, 'args': module_args, 'selfAttention': self_attention, 'causal': causal,
        'averageAttnWeights': average_attn_weights, 'state': state,
        'query': tensor_json(query), 'outWeights': tensor_json(out_weights),
        'out': tensor_json(out), 'attnWeights': tensor_json(weights),
        'grads': {'query': tensor_json(query.grad), **{k: tensor_json(p.grad) for k, p in mha.named_parameters()}},
    }
    if not self_attention:
        result.update(key=tensor_json(key), value=tensor_json(value))
        result['grads'].update(key=tensor_json(key.grad), value=tensor_json(value.grad))
    for name, mask in (('keyPaddingMask', key_padding_mask), ('attnMask', attn_mask)):
        if mask is not None:
            result[name] = {**tensor_json(mask), 'boolean': mask.dtype == torch.bool}
    return result


def main():
    torch.manual_seed(7)
    padding = torch.tensor([[False, False, True, False, True], [False, False, False, False, True]])
    blocked = torch.rand(4, 2, 3) < 0.4  # [N * heads, L, S]
    blocked[..., 0] = False  # every query keeps a key
    cases = [
        case('cross-attention, time-first, key padding (bool) and a float attention mask',
             dict(embed_dim=6, num_heads=2), [[3, 2, 6], [5, 2, 6], [5, 2, 6]],
             key_padding_mask=padding, attn_mask=torch.randn(3, 5).float().double()),
        case('self-attention, batch-first, causal, weights per head',
             dict(embed_dim=8, num_heads=2, batch_first=True), [[2, 4, 8]], self_attention=True, causal=True,
             average_attn_weights=False),
        case('kdim 3 and vdim 5, no bias, a boolean attention mask per batch and head',
             dict(embed_dim=4, num_heads=2, bias=False, kdim=3, vdim=5), [[2, 2, 4], [3, 2, 3], [3, 2, 5]],
             attn_mask=blocked),
        case('unbatched, key padding',
             dict(embed_dim=6, num_heads=3), [[3, 6], [4, 6], [4, 6]],
             key_padding_mask=torch.tensor([False, True, False, False])),
    ]
    write_fixture('mha.json', {'cases': cases})


main()
