// How many tokens a prompt or a reply is, in the model's own tokens, before money is reserved for
// it: the server's tokenize endpoint (vLLM, SGLang, llama.cpp, the embedded runtime), the bundled
// BPE for OpenAI-family models, else an estimate calibrated from the usage the server reported,
// always marked as an estimate. The budget (budget.ts, model-call.ts) reserves against these counts.
import { estimateMessagesTokens, toolsJsonSize } from '../pool/estimate';
import { bpeCountChat, bpeCountText, bpeEncodingFor } from './bpe';
import { ServerTokenizer, type TokenizeEndpoint } from './server-tokenize';
import { replyPieces, type ReplyText } from './text';

export type CountSource = 'server' | 'bpe' | 'estimate';

/** A model as the counter needs it. */
export interface CountModel {
  id: string;
  baseUrl: string;
  model: string;
  host: string;
  local: boolean;
  inputPricePerMillion: number;
  outputPricePerMillion: number;
}

export interface PromptCount {
  /** The prompt's tokens: exact, or the best estimate (what the context window is checked against). */
  tokens: number;
  /**
   * What the budget reserves for the prompt. Exact counts: `tokens`. Estimates: a bound the server
   * cannot count past (one token per byte) when that fits, else `reserveIfTight`.
   */
  reserve: number;
  /** Estimates only: the calibrated estimate with a margin, reserved when the bound does not fit. */
  reserveIfTight?: number;
  exact: boolean;
  source: CountSource;
  /** Set when a server not on this machine was asked to count (it received the prompt). */
  remoteHost?: string;
}

/**
 * A hard upper bound on the prompt tokens a server can count for these messages: a token of a
 * byte-level tokenizer covers at least one byte, and the JSON form is longer than the text it holds
 * (its keys and quotes stand in for the chat template's few tokens per message). Tool definitions
 * get an allowance for the instructions templates wrap around them.
 */
export function promptTokenBound(messages: unknown[], tools?: unknown[]): number {
  const toolBytes = tools && tools.length ? toolsJsonSize(tools).bytes + 256 : 0;
  return Buffer.byteLength(JSON.stringify(messages)) + toolBytes + 32;
}

/** The plain estimate (about four characters a token), padded to stay on the high side. */
export function paddedPromptTokens(messages: unknown[], tools?: unknown[]): number {
  return Math.ceil(estimateMessagesTokens(messages, tools) * 1.15) + 16;
}

/**
 * The estimate a prompt is checked against a context window with when no tokenizer counts it: the
 * padded estimate, or a quarter of the characters of the request's JSON (quotes, escapes and keys
 * included), whichever is more.
 */
export function estimatedPromptTokens(messages: unknown[], tools?: unknown[]): number {
  const json = Math.ceil(JSON.stringify(messages).length / 4) + (tools?.length ? Math.ceil(toolsJsonSize(tools).chars / 4) : 0);
  return Math.max(paddedPromptTokens(messages, tools), json);
}

/** What one model's reported usage taught: the most tokens per byte seen, prompt and reply. */
interface Calibration {
  promptPerByte: number;
  replyPerByte?: number;
  samples: number;
}

/** Margin on a calibrated estimate: another prompt of the same model may pack a little denser. */
const CALIBRATED_MARGIN = 1.1;

export class TokenCounter {
  readonly server: ServerTokenizer;
  private readonly calibration = new Map<string, Calibration>();

  constructor(
    private readonly apiKey: (m: CountModel) => Promise<string | undefined>,
    fetchFn?: typeof fetch,
  ) {
    this.server = new ServerTokenizer(fetchFn);
  }

  /** Forgets probes and calibration (the models changed). */
  forget(): void {
    this.server.forget();
    this.calibration.clear();
  }

  /** How this model's prompts are counted, as far as known now (`server` only once a probe found an endpoint). */
  async method(m: CountModel): Promise<CountSource> {
    if (bpeEncodingFor(m.model)) return 'bpe';
    return (await this.server.api(await this.endpoint(m))) !== 'none' ? 'server' : 'estimate';
  }

  async countPrompt(m: CountModel, messages: unknown[], tools?: unknown[]): Promise<PromptCount> {
    const encoding = bpeEncodingFor(m.model);
    if (encoding) {
      const tokens = await bpeCountChat(encoding, messages, tools);
      return { tokens, reserve: tokens, exact: true, source: 'bpe' };
    }
    const counted = await this.server.countChat(await this.endpoint(m), messages, tools);
    if (counted !== undefined) {
      return { tokens: counted, reserve: counted, exact: true, source: 'server', ...(m.local ? {} : { remoteHost: m.host }) };
    }
    const probed = this.server.known(await this.endpoint(m));
    const remoteHost = !m.local && probed !== undefined ? m.host : undefined;
    return { ...this.estimatePrompt(m, messages, tools), ...(remoteHost ? { remoteHost } : {}) };
  }

  /** The estimate of a prompt, calibrated by what this model's server reported before. */
  estimatePrompt(m: CountModel, messages: unknown[], tools?: unknown[]): PromptCount {
    const bound = promptTokenBound(messages, tools);
    const cal = this.calibration.get(m.id);
    const plain = estimatedPromptTokens(messages, tools);
    if (cal) {
      const calibrated = Math.min(bound, Math.ceil(bound * cal.promptPerByte));
      return {
        tokens: calibrated,
        reserve: bound,
        reserveIfTight: Math.min(bound, Math.ceil(calibrated * CALIBRATED_MARGIN) + 16),
        exact: false,
        source: 'estimate',
      };
    }
    // Uncalibrated: a third of the bytes covers English (about four bytes a token) with room to
    // spare and CJK text (three bytes a character, about one token each).
    return {
      tokens: plain,
      reserve: bound,
      reserveIfTight: Math.min(bound, Math.max(plain, Math.ceil(bound / 3))),
      exact: false,
      source: 'estimate',
    };
  }

  /**
   * The tokens of a reply that arrived (a stream cut short, or a server that reported no usage),
   * counted piece by piece like the prompt; `exact` false when any piece had to be estimated.
   */
  async countReply(m: CountModel, reply: ReplyText): Promise<{ tokens: number; exact: boolean }> {
    const pieces = replyPieces(reply);
    if (!pieces.length) return { tokens: 0, exact: true };
    const encoding = bpeEncodingFor(m.model);
    if (encoding) {
      let tokens = 0;
      for (const p of pieces) tokens += await bpeCountText(encoding, p);
      return { tokens, exact: true };
    }
    const ep = await this.endpoint(m);
    let tokens = 0;
    for (const p of pieces) {
      const n = await this.server.countText(ep, p);
      if (n === undefined) return { tokens: this.estimateReply(m, pieces), exact: false };
      tokens += n;
    }
    return { tokens, exact: true };
  }

  /** A reply's tokens from its bytes: the calibrated rate, else one token per byte (the most there can be). */
  private estimateReply(m: CountModel, pieces: string[]): number {
    const bytes = pieces.reduce((n, p) => n + Buffer.byteLength(p), 0);
    const perByte = this.calibration.get(m.id)?.replyPerByte;
    return perByte === undefined ? bytes : Math.min(bytes, Math.ceil(bytes * perByte * CALIBRATED_MARGIN));
  }

  /**
   * Learns from a call whose server reported usage: the most tokens per byte seen so far (a denser
   * prompt raises it; a lighter one never lowers it, so estimates stay on the high side).
   */
  calibrate(m: CountModel, sample: { promptBound: number; promptTokens: number; replyBytes?: number; replyTokens?: number }): void {
    if (!(sample.promptBound > 0) || !(sample.promptTokens >= 0)) return;
    const prev = this.calibration.get(m.id);
    const promptPerByte = Math.max(prev?.promptPerByte ?? 0, Math.min(1, sample.promptTokens / sample.promptBound));
    let replyPerByte = prev?.replyPerByte;
    if (sample.replyBytes && sample.replyBytes > 0 && sample.replyTokens !== undefined)
      replyPerByte = Math.max(replyPerByte ?? 0, Math.min(1, sample.replyTokens / sample.replyBytes));
    this.calibration.set(m.id, { promptPerByte, replyPerByte, samples: (prev?.samples ?? 0) + 1 });
  }

  private async endpoint(m: CountModel): Promise<TokenizeEndpoint> {
    return { baseUrl: m.baseUrl, model: m.model, apiKey: await this.apiKey(m) };
  }
}
