# Helpers shared by the scripts that write small PyTorch fixtures for the tests (pytorch_sdpa.py,
# pytorch_mha.py, pytorch_rnn.py): a tensor as {"shape", "data"} with 9 significant digits (enough to
# give a float32 back exactly, and far below the tests' 1e-5 tolerances), and the file written compactly.
import json, pathlib

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / 'tests' / 'fixtures'


def tensor_json(t):
    """A tensor (any dtype; booleans become 0 and 1) as {"shape": [...], "data": [...]} in row-major order.
    NaN and the infinities, which JSON lacks, are the strings JavaScript's Number() reads back."""
    values = t.detach().double().flatten().tolist()
    return {'shape': list(t.shape), 'data': [number_json(v) for v in values]}


def number_json(v):
    if v != v:
        return 'NaN'
    if abs(v) == float('inf'):
        return 'Infinity' if v > 0 else '-Infinity'
    return float(f'{v:.9g}')


def write_fixture(name, content):
    """Writes tests/fixtures/<name> and says where and how large."""
    path = FIXTURES / name
    path.write_text(json.dumps(content, separators=(',', ':')) + '\n')
    print(f'wrote {path} ({path.stat().st_size} bytes)')
