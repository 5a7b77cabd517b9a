// Exact token counts for OpenAI-family models (GPT-4o, 4.1, 5, o-series, gpt-oss; GPT-4 and 3.5),
// with the BPE ranks bundled in gpt-tokenizer: nothing is downloaded at run time. Chat messages are
// counted the way OpenAI documents its chat format (a few tokens of framing per message).
import { messagePieces, type CountableMessage } from './text';

export type BpeEncoding = 'o200k_base' | 'cl100k_base';

/** The encoding of an OpenAI-family model name (a provider prefix like `openai/` is ignored); undefined for others. */
export function bpeEncodingFor(modelName: string): BpeEncoding | undefined {
  const name = modelName.toLowerCase().replace(/^.*\//, '');
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|chatgpt-4o|o1|o3|o4)(\b|[-.:_]|$)/.test(name)) return 'o200k_base';
  if (/^(gpt-4|gpt-3\.5)(\b|[-.:_]|$)/.test(name)) return 'cl100k_base';
  return undefined;
}

type Encode = (text: string) => number[];
const encoders = new Map<BpeEncoding, Promise<Encode>>();

/** Loads an encoding once (its ranks take a moment to build), on first use. */
function encoder(encoding: BpeEncoding): Promise<Encode> {
  let e = encoders.get(encoding);
  if (!e) {
    e = (encoding === 'o200k_base' ? import('gpt-tokenizer/encoding/o200k_base') : import('gpt-tokenizer/encoding/cl100k_base')).then(
      (m) => (text: string) => m.encode(text, { disallowedSpecial: new Set() }),
    );
    encoders.set(encoding, e);
  }
  return e;
}

/** Tokens of plain text. */
export async function bpeCountText(encoding: BpeEncoding, text: string): Promise<number> {
  return text ? (await encoder(encoding))(text).length : 0;
}

/** Framing OpenAI's chat format adds: per message, per name, and the primed reply. */
const PER_MESSAGE = 3;
const PER_NAME = 1;
const REPLY_PRIMING = 3;

/**
 * Prompt tokens of a chat request: each message's text exactly, plus the documented framing. Tool
 * definitions are counted as their JSON, which is longer than the form the API renders them in, so
 * the count stays on the high side where it cannot be exact.
 */
export async function bpeCountChat(
  encoding: BpeEncoding,
  messages: readonly CountableMessage[],
  tools?: readonly unknown[],
): Promise<number> {
  const encode = await encoder(encoding);
  let total = REPLY_PRIMING;
  for (const m of messages) {
    total += PER_MESSAGE;
    for (const piece of messagePieces(m)) total += encode(piece).length;
    if (m && typeof m === 'object' && typeof (m as { name?: unknown }).name === 'string') total += PER_NAME;
  }
  if (tools && tools.length) total += encode(JSON.stringify(tools)).length;
  return total;
}
