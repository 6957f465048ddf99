# Writes tests/fixtures/rnn.json: torch.nn.GRU and torch.nn.LSTM run on small seeded cases, for
# tests/nn/rnn.test.ts to load each module's state_dict into gg.nn.GRU / gg.nn.LSTM and match the
# output, the final states and the gradients. Each case records the constructor's arguments, the
# state_dict (float32 values from PyTorch's seeded init), the input and initial state, and, computed in
# float64, the output, h_n (and c_n), and the gradients of loss = sum(output * w) + sum(h_n * wh)
# (+ sum(c_n * wc)) with respect to the input, the initial state and every parameter.
#   /usr/bin/python3 bench/reference/pytorch_rnn.py
import pathlib, sys
import torch
import torch.nn as nn

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from fixture_json import tensor_json, write_fixture  # noqa: E402


def case(name, kind, module_args, input_shape, initial_state=True):
    rnn = getattr(nn, kind)(**module_args)
    state = {key: tensor_json(t) for key, t in rnn.state_dict().items()}
    rnn = rnn.double()
    x = torch.randn(input_shape).double().requires_grad_()
    batch = input_shape[0 if module_args.get('batch_first') else 1]
    directions = 2 if module_args.get('bidirectional') else 1
    state_shape = [module_args['num_layers'] * directions, batch, module_args['hidden_size']]
    states = [torch.randn(state_shape).double().requires_grad_() for _ in range(2 if kind == 'LSTM' else 1)] if initial_state else []
    hx = None if not states else (tuple(states) if kind == 'LSTM' else states[0])
    out, final = rnn(x, hx)
    finals = list(final) if kind == 'LSTM' else [final]
    weights = [torch.randn(t.shape).double() for t in [out, *finals]]
    sum((t * w).sum() for t, w in zip([out, *finals], weights)).backward()
    return {
        'name': name, 'kind': kind, 'args': module_args, 'state': state,
        'input': tensor_json(x), 'initialState': [tensor_json(s) for s in states],
        'lossWeights': [tensor_json(w) for w in weights],
        'output': tensor_json(out), 'finalState': [tensor_json(t) for t in finals],
        'grads': {
            'input': tensor_json(x.grad), 'initialState': [tensor_json(s.grad) for s in states],
            **{k: tensor_json(p.grad) for k, p in rnn.named_parameters()},
        },
    }


def main():
    torch.manual_seed(11)
    args = dict(input_size=3, hidden_size=5, num_layers=2, batch_first=True)
    cases = [
        case('GRU, 2 layers, batch-first, initial state', 'GRU', args, [2, 4, 3]),
        case('LSTM, 2 layers, batch-first, initial state', 'LSTM', args, [2, 4, 3]),
        case('GRU, 1 layer, time-first, no bias, zero state', 'GRU', dict(input_size=2, hidden_size=3, num_layers=1, bias=False), [3, 2, 2], initial_state=False),
        case('LSTM, 1 layer, time-first, no bias, zero state', 'LSTM', dict(input_size=2, hidden_size=3, num_layers=1, bias=False), [3, 2, 2], initial_state=False),
        case('GRU, 2 bidirectional layers, batch-first, initial state', 'GRU', dict(args, bidirectional=True), [2, 4, 3]),
        case('LSTM, 2 bidirectional layers, time-first, zero state', 'LSTM', dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), [5, 2, 3], initial_state=False),
    ]
    write_fixture('rnn.json', {'cases': cases})


main()
