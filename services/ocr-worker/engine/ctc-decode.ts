/**
 * The recognizer's alphabet and CTC greedy decoding (PaddleOCR's `CTCLabelDecode`). Pure functions.
 */

/**
 * The characters the recognizer's classes stand for, from a dictionary file (one character a line,
 * as `ppocr_keys_v1.txt`), with a space appended (PaddleOCR's `use_space_char: True`). Class 0 is
 * the CTC blank, so class `k` is `characters[k - 1]` and the model has `characters.length + 1`
 * classes (dictionary lines + 2).
 */
export function parseDictionary(text: string): string[] {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines[lines.length - 1] === '') lines.pop(); // a final newline is not an empty character
  if (lines.length === 0) throw new RangeError('the dictionary is empty');
  return [...lines, ' '];
}

/** One decoded sequence. */
export interface CtcDecoded {
  readonly text: string;
  /** Mean of the highest class probability at each kept step; 0 when nothing was kept. */
  readonly confidence: number;
  /** How many characters were kept (what `confidence` averages over). */
  readonly characterCount: number;
}

/**
 * Greedy CTC decoding of one sequence: at each time step take the most probable class; drop a
 * step repeating the previous step's class, then drop blanks (class 0), so `a a _ a` reads `aa`.
 *
 * @param probabilities the softmax output `[batch, steps, classes]`, flattened
 * @param sequence which sequence of the batch to decode
 */
export function ctcGreedyDecode(
  probabilities: Float32Array,
  sequence: number,
  steps: number,
  classes: number,
  characters: readonly string[],
): CtcDecoded {
  if (classes !== characters.length + 1) {
    throw new RangeError(`the model has ${classes} classes but the alphabet has ${characters.length} characters + blank`);
  }
  let text = '';
  let confidenceSum = 0;
  let characterCount = 0;
  let previous = -1;
  const base = sequence * steps * classes;
  for (let step = 0; step < steps; step++) {
    const offset = base + step * classes;
    let best = 0;
    let bestProbability = probabilities[offset]!;
    for (let k = 1; k < classes; k++) {
      const p = probabilities[offset + k]!;
      if (p > bestProbability) {
        best = k;
        bestProbability = p;
      }
    }
    if (best !== 0 && best !== previous) {
      text += characters[best - 1]!;
      confidenceSum += bestProbability;
      characterCount++;
    }
    previous = best;
  }
  const confidence = characterCount === 0 ? 0 : Math.min(confidenceSum / characterCount, 1);
  return { text, confidence, characterCount };
}
