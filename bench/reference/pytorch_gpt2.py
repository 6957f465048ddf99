# Writes tests/fixtures/gpt2-tiny/: a GPT-2 at a reduced size in Hugging Face's checkpoint format,
# with random weights, and the logits PyTorch computes from it, for tests/models/gpt2.test.ts.
#   config.json        Hugging Face's GPT-2 fields (vocab_size, n_positions, n_embd, n_layer, n_head,
#                      layer_norm_epsilon, activation_function 'gelu_new', ...). The epsilon is 1e-3,
#                      not GPT-2's 1e-5, so that the test sees the config's value used.
#   model.safetensors  Hugging Face's tensor names and layout: wte, wpe, h.N.ln_1, h.N.attn.c_attn,
#                      h.N.attn.c_proj, h.N.ln_2, h.N.mlp.c_fc, h.N.mlp.c_proj, ln_f, Conv1D weights
#                      stored [in, out], and the causal-mask buffers h.N.attn.bias and h.N.attn.masked_bias
#                      that older checkpoints hold. Written by the small writer below with an unpadded
#                      header, so that the data starts at an offset that is not a multiple of 4 (GPT-2's
#                      own file starts its data at byte 14,291), and in an order that is not the name order.
#   vocab.json,        a byte-level BPE tokenizer for it in Hugging Face's files: GPT-2's 256 single-byte
#   merges.txt         tokens (bytes_to_unicode's spellings) with id = the byte, <|endoftext|> = 256, no
#                      merges. The model's 96 ids are then the ASCII bytes below 96 ('A' is 65).
#   logits.json        for a few prompts, the logits of every position (float64 arithmetic on the stored
#                      float32 weights), and a greedy continuation of one prompt with its margins.
# The model is plain PyTorch written after Hugging Face's GPT2Model (transformers is not needed):
# pre-LayerNorm blocks, tanh GELU, attention scaled by 1/sqrt(head size), output head tied to wte.
#   /usr/bin/python3 bench/reference/pytorch_gpt2.py
import json, math, pathlib, struct, sys
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from fixture_json import number_json  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / 'tests' / 'fixtures' / 'gpt2-tiny'
CONFIG = {
    'activation_function': 'gelu_new', 'architectures': ['GPT2LMHeadModel'], 'attn_pdrop': 0.1, 'bos_token_id': 95,
    'embd_pdrop': 0.1, 'eos_token_id': 95, 'initializer_range': 0.02, 'layer_norm_epsilon': 1e-3, 'model_type': 'gpt2',
    'n_ctx': 32, 'n_embd': 32, 'n_head': 2, 'n_inner': None, 'n_layer': 2, 'n_positions': 32, 'resid_pdrop': 0.1,
    'scale_attn_weights': True, 'summary_activation': None, 'tie_word_embeddings': True, 'vocab_size': 96,
}
V, T, C, L, H = (CONFIG[k] for k in ('vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head'))
EPS = CONFIG['layer_norm_epsilon']

torch.manual_seed(1729)


def weights():
    """Hugging Face's state dict of GPT2Model, in float32, random: large enough that every part shows in the logits."""
    w = {'wte.weight': torch.randn(V, C), 'wpe.weight': torch.randn(T, C) * 0.5}
    mask = torch.tril(torch.ones(T, T)).view(1, 1, T, T)
    for i in range(L):
        h = f'h.{i}.'
        for norm in ('ln_1', 'ln_2'):
            w[h + norm + '.weight'] = 1 + 0.2 * torch.randn(C)
            w[h + norm + '.bias'] = 0.2 * torch.randn(C)
        w[h + 'attn.bias'] = mask.clone()
        w[h + 'attn.masked_bias'] = torch.tensor(-1e4)
        for name, n_in, n_out in (('attn.c_attn', C, 3 * C), ('attn.c_proj', C, C), ('mlp.c_fc', C, 4 * C), ('mlp.c_proj', 4 * C, C)):
            w[h + name + '.weight'] = torch.randn(n_in, n_out) / math.sqrt(n_in)  # Conv1D: [in, out]
            w[h + name + '.bias'] = 0.1 * torch.randn(n_out)
    w['ln_f.weight'] = 1 + 0.2 * torch.randn(C)
    w['ln_f.bias'] = 0.2 * torch.randn(C)
    return {k: v.float().contiguous() for k, v in w.items()}


def forward(w, tokens):
    """GPT2LMHeadModel's logits [len(tokens), V], in float64."""
    d = {k: v.double() for k, v in w.items()}
    n = len(tokens)
    x = d['wte.weight'][tokens] + d['wpe.weight'][:n]
    Dh = C // H
    for i in range(L):
        p = lambda name: d[f'h.{i}.{name}']  # noqa: E731
        a = F.layer_norm(x, (C,), p('ln_1.weight'), p('ln_1.bias'), EPS)
        qkv = a @ p('attn.c_attn.weight') + p('attn.c_attn.bias')  # Conv1D: x @ W + b
        q, k, v = (t.view(n, H, Dh).transpose(0, 1) for t in qkv.split(C, dim=-1))
        scores = q @ k.transpose(-1, -2) / math.sqrt(Dh)
        scores = scores.masked_fill(p('attn.bias')[0, :, :n, :n] == 0, float('-inf'))
        y = (scores.softmax(-1) @ v).transpose(0, 1).reshape(n, C)
        x = x + y @ p('attn.c_proj.weight') + p('attn.c_proj.bias')
        m = F.layer_norm(x, (C,), p('ln_2.weight'), p('ln_2.bias'), EPS)
        m = F.gelu(m @ p('mlp.c_fc.weight') + p('mlp.c_fc.bias'), approximate='tanh')
        x = x + m @ p('mlp.c_proj.weight') + p('mlp.c_proj.bias')
    x = F.layer_norm(x, (C,), d['ln_f.weight'], d['ln_f.bias'], EPS)
    return x @ d['wte.weight'].T


def write_safetensors(path, tensors, metadata):
    """The format by hand: 8-byte little-endian header length, JSON header, raw little-endian data.
    The header is padded with spaces so that 8 + its length is 3 modulo 4, as GPT-2's file is."""
    header, offset, blobs = {'__metadata__': metadata}, 0, []
    for name, t in tensors.items():
        raw = t.numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * ((3 - (8 + len(text)) % 4) % 4)
    assert (8 + len(text)) % 4 == 3
    path.write_bytes(struct.pack('<Q', len(text)) + text + b''.join(blobs))
    return 8 + len(text)


def bytes_to_unicode():
    """GPT-2's spelling of each byte: the printable Latin-1 bytes stand for themselves, the rest take 256 on."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    w = weights()
    # Reverse name order, with the mask buffers in among the weights.
    data_start = write_safetensors(OUT / 'model.safetensors', dict(sorted(w.items(), reverse=True)), {'format': 'pt'})
    (OUT / 'config.json').write_text(json.dumps(CONFIG, indent=2) + '\n')
    spelling = bytes_to_unicode()
    vocab = {spelling[b]: b for b in range(256)}
    vocab['<|endoftext|>'] = 256
    (OUT / 'vocab.json').write_text(json.dumps(vocab, ensure_ascii=False) + '\n', encoding='utf-8')
    (OUT / 'merges.txt').write_text('#version: 0.2\n')

    gen = torch.Generator().manual_seed(7)
    prompts = [torch.randint(0, V, (n,), generator=gen).tolist() for n in (1, 7, 19, T)]
    cases = [{'tokens': p, 'logits': [number_json(v) for v in forward(w, p).flatten().tolist()]} for p in prompts]

    # Greedy decoding by full recomputation, with each step's margin between the best and second-best logit.
    sequence, margins = prompts[1][:5], []
    while len(sequence) < 20:
        top = forward(w, sequence)[-1].topk(2).values
        margins.append(float(top[0] - top[1]))
        sequence.append(int(forward(w, sequence)[-1].argmax()))
    greedy = {'prompt': prompts[1][:5], 'tokens': sequence[5:], 'minMargin': min(margins)}
    (OUT / 'logits.json').write_text(json.dumps({'dataStart': data_start, 'cases': cases, 'greedy': greedy}, separators=(',', ':')) + '\n')
    sizes = {p.name: p.stat().st_size for p in OUT.iterdir()}
    print(f'wrote {OUT}: {sizes}; data starts at byte {data_start}; smallest greedy margin {min(margins):.4f}')


main()
