// SMILES tokenization for language models: a SMILES string split into the units a chemist reads
// (two-letter atoms Cl and Br, bracket atoms such as [nH], [C@@H] or [N+], ring-closure digits and
// %nn, bonds and branches), and SmilesVocab, the ids of a training set's tokens after three special
// ones (padding, start, end), with encode / decode that round-trip. A character model would have to
// learn that 'l' only follows 'C' and that '[', 'n', 'H', ']' form one atom; these tokens give the
// model one step per chemical unit.

/**
 * One token at a time, anchored: a bracket atom, a two-letter halogen, an organic-subset atom
 * (aliphatic or aromatic), a two-digit ring closure, a one-digit one, or a bond / branch / dot.
 */
const TOKEN = /\[[^\][]+\]|Br|Cl|[BCNOPSFI]|[bcnops]|%\d{2}|\d|[=#\-+\\/:~@?*$.()]/y;

/**
 * Splits a SMILES string into tokens; the tokens joined give the string back. Throws on a character
 * no SMILES token starts with (a lowercase letter outside b c n o p s, an unclosed bracket, a space),
 * naming its position.
 */
export function tokenizeSmiles(smiles: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < smiles.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(smiles);
    if (!match) {
      throw new Error(`tokenizeSmiles: no SMILES token starts at position ${at} of ${JSON.stringify(smiles)} (${JSON.stringify(smiles.slice(at, at + 8))}...)`);
    }
    tokens.push(match[0]);
  }
  return tokens;
}

/** The special tokens' texts; ids 0, 1 and 2 of every {@link SmilesVocab}. */
export const SMILES_SPECIAL_TOKENS = Object.freeze(['<pad>', '<start>', '<end>'] as const);

/**
 * The token ids of a SMILES language model: 0 padding, 1 start, 2 end, then the SMILES tokens of a
 * training set, sorted. A molecule is encoded as start, its tokens, end.
 */
export class SmilesVocab {
  /** The tokens' texts, by id (the special ones first). */
  readonly tokens: readonly string[];
  /** Pads rows of different lengths ({@link SmilesVocab.encodeBatch}); no molecule contains it. */
  readonly pad = 0;
  /** Starts every molecule: the prompt that sampling begins from. */
  readonly start = 1;
  /** Ends every molecule: sampling stops at it. */
  readonly end = 2;
  private readonly ids: Map<string, number>;

  /** A vocabulary of these SMILES tokens (without the special ones, which come first). */
  constructor(smilesTokens: readonly string[]) {
    this.tokens = Object.freeze([...SMILES_SPECIAL_TOKENS, ...smilesTokens]);
    this.ids = new Map(this.tokens.map((token, id) => [token, id]));
    if (this.ids.size !== this.tokens.length) throw new Error('SmilesVocab: the tokens must be unique and differ from <pad>, <start> and <end>');
  }

  /** The vocabulary of a training set: every token of its SMILES, sorted. */
  static fromSmiles(smiles: Iterable<string>): SmilesVocab {
    const seen = new Set<string>();
    for (const s of smiles) for (const token of tokenizeSmiles(s)) seen.add(token);
    return new SmilesVocab([...seen].sort());
  }

  /** The vocabulary saved by {@link SmilesVocab.toJSON}. */
  static fromJSON(tokens: readonly string[]): SmilesVocab {
    const special = tokens.slice(0, SMILES_SPECIAL_TOKENS.length);
    if (special.join(' ') !== SMILES_SPECIAL_TOKENS.join(' ')) {
      throw new Error(`SmilesVocab.fromJSON: expected the tokens to begin with ${SMILES_SPECIAL_TOKENS.join(', ')}, got ${special.join(', ')}`);
    }
    return new SmilesVocab(tokens.slice(SMILES_SPECIAL_TOKENS.length));
  }

  /** Number of token ids (the model's vocabSize). */
  get size(): number {
    return this.tokens.length;
  }

  /** Every token's text by id, special ones included: what fromJSON takes back. */
  toJSON(): string[] {
    return [...this.tokens];
  }

  /** The id of one token's text; throws on a token outside the vocabulary. */
  id(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined) throw new Error(`SmilesVocab.id: token ${JSON.stringify(token)} is not in the vocabulary of ${this.size}`);
    return id;
  }

  /** start, the ids of the SMILES's tokens, end. Throws on a token the training set did not have. */
  encode(smiles: string): Int32Array {
    const tokens = tokenizeSmiles(smiles);
    const out = new Int32Array(tokens.length + 2);
    out[0] = this.start;
    tokens.forEach((token, i) => {
      const id = this.ids.get(token);
      if (id === undefined) throw new Error(`SmilesVocab.encode: token ${JSON.stringify(token)} of ${JSON.stringify(smiles)} is not in the vocabulary of ${this.size}`);
      out[i + 1] = id;
    });
    out[tokens.length + 1] = this.end;
    return out;
  }

  /**
   * The molecules encoded into rows of `length` ids, [smiles.length, length] row-major, each padded
   * after its end token; throws when one needs more than `length` (its tokens plus start and end).
   */
  encodeBatch(smiles: readonly string[], length: number): Int32Array {
    if (!Number.isInteger(length) || length < 2) throw new Error(`SmilesVocab.encodeBatch: length must be an integer >= 2 (start and end), got ${length}`);
    const out = new Int32Array(smiles.length * length).fill(this.pad);
    smiles.forEach((s, row) => {
      const ids = this.encode(s);
      if (ids.length > length) throw new Error(`SmilesVocab.encodeBatch: ${JSON.stringify(s)} needs ${ids.length} ids with start and end; rows have ${length}`);
      out.set(ids, row * length);
    });
    return out;
  }

  /**
   * The SMILES of a sequence of ids: a leading start is skipped and the first end (or padding) ends
   * it. A special token elsewhere (a start in the middle of a sample) is written as its name, so a
   * malformed sample decodes to a string that no parser accepts rather than throwing. Ids outside
   * the vocabulary throw.
   */
  decode(ids: ArrayLike<number>): string {
    let text = '';
    for (let i = ids[0] === this.start ? 1 : 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === this.end || id === this.pad) break;
      const token = this.tokens[id];
      if (token === undefined) throw new Error(`SmilesVocab.decode: id ${id} at position ${i} is outside the vocabulary of ${this.size}`);
      text += token;
    }
    return text;
  }
}
