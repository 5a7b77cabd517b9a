// What a person types when adding or editing a model, checked the same way everywhere: the server's
// URL, prices, a new model's id and the guesses filled in for them. Pure (no `vscode`).

export function validateBaseUrl(v: string): string | undefined {
  try {
    const u = new URL(v.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'the URL must start with http:// or https://';
    return undefined;
  } catch {
    return 'not a URL yet (e.g. http://127.0.0.1:11434/v1)';
  }
}

export const PRICES_PROMPT = 'Dollars per million tokens, input / output, e.g. "0.25 / 2" ("0 / 0" if it is free)';

/** "0.25 / 2", "0.25, 2", "$0.25 $2": input and output dollars per million tokens. */
export function parsePrices(s: string): { prices?: { input: number; output: number }; error?: string } {
  const m = /^\s*\$?(\d+(?:\.\d+)?)\s*(?:\/|,|\s)\s*\$?(\d+(?:\.\d+)?)\s*$/.exec(s);
  if (!m) return { error: 'two prices in dollars per million tokens, input / output, e.g. 0.25 / 2' };
  return { prices: { input: Number(m[1]), output: Number(m[2]) } };
}

/** A model id allowed by the schema (letters, digits, . _ : -) and not used yet. */
export function uniqueId(model: string, taken: string[]): string {
  const base = model.replace(/[^A-Za-z0-9._:-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`;
  return id;
}

// Families whose weights are published; a guess the user can correct in the Models view.
const OPEN_WEIGHT_NAMES =
  /llama|qwen|mistral|mixtral|gemma|phi-?\d|deepseek|gpt-oss|nemotron|olmo|falcon|yi-|granite|codestral|devstral|starcoder|smollm|command-r/i;

export function guessOpenWeights(model: string): boolean {
  return OPEN_WEIGHT_NAMES.test(model);
}
