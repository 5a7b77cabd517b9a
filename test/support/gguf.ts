// Tiny GGUF v3 `llama` models written at test time, so the embedded runtime is exercised with real
// weights and no download. Two kinds:
//  - a random-weights model (any text, grammar-constrained tool calls, long generations to cancel);
//  - a deterministic "script" model whose next token depends only on the current token plus one
//    flag ("has a <tool_response> appeared?"), so it emits a known tool call and, once the tool
//    result is in the context, a known answer.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// ---------------------------------------------------------------------------------------------
// GGUF encoding

const GGUF_TYPE = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const;
type ScalarType = Exclude<keyof typeof GGUF_TYPE, 'array'>;
export type GgufValue =
  | { type: ScalarType; value: number | bigint | boolean | string }
  | { type: 'array'; itemType: ScalarType; values: Array<number | bigint | boolean | string> };
export interface GgufTensor {
  name: string;
  /** ggml order: fastest-varying dimension first. */
  dims: number[];
  data: Float32Array;
}

const ALIGNMENT = 32;

class ByteWriter {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number | bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  scalar(type: ScalarType, v: number | bigint | boolean | string): void {
    const b8 = (n: number) => Buffer.from([n & 0xff]);
    switch (type) {
      case 'u8':
        return this.push(b8(Number(v)));
      case 'i8': {
        const b = Buffer.alloc(1);
        b.writeInt8(Number(v));
        return this.push(b);
      }
      case 'u16': {
        const b = Buffer.alloc(2);
        b.writeUInt16LE(Number(v));
        return this.push(b);
      }
      case 'i16': {
        const b = Buffer.alloc(2);
        b.writeInt16LE(Number(v));
        return this.push(b);
      }
      case 'u32':
        return this.u32(Number(v));
      case 'i32': {
        const b = Buffer.alloc(4);
        b.writeInt32LE(Number(v));
        return this.push(b);
      }
      case 'f32': {
        const b = Buffer.alloc(4);
        b.writeFloatLE(Number(v));
        return this.push(b);
      }
      case 'bool':
        return this.push(b8(v ? 1 : 0));
      case 'string':
        return this.string(String(v));
      case 'u64':
        return this.u64(BigInt(v));
      case 'i64': {
        const b = Buffer.alloc(8);
        b.writeBigInt64LE(BigInt(v));
        return this.push(b);
      }
      case 'f64': {
        const b = Buffer.alloc(8);
        b.writeDoubleLE(Number(v));
        return this.push(b);
      }
    }
  }
  pad(): void {
    const rem = this.length % ALIGNMENT;
    if (rem) this.push(Buffer.alloc(ALIGNMENT - rem));
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** Encodes a GGUF v3 file with F32 tensors. */
export function encodeGguf(metadata: Array<[string, GgufValue]>, tensors: GgufTensor[]): Buffer {
  const w = new ByteWriter();
  w.push(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const [key, v] of metadata) {
    w.string(key);
    w.u32(GGUF_TYPE[v.type]);
    if (v.type === 'array') {
      w.u32(GGUF_TYPE[v.itemType]);
      w.u64(v.values.length);
      for (const item of v.values) w.scalar(v.itemType, item);
    } else w.scalar(v.type, v.value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`tensor ${t.name}: dims ${t.dims.join('x')} but ${t.data.length} values`);
    offsets.push(offset);
    offset += count * 4;
    offset = Math.ceil(offset / ALIGNMENT) * ALIGNMENT;
  }
  tensors.forEach((t, i) => {
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(0); // GGML_TYPE_F32
    w.u64(offsets[i]);
  });
  w.pad();
  for (const t of tensors) {
    w.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    w.pad();
  }
  return w.concat();
}

// ---------------------------------------------------------------------------------------------
// Vocabulary (SentencePiece "llama" tokenizer)

const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, byte: 6 } as const;

/** ChatML plus the Hermes tool-call tags: the tool tags make the runtime pick the Hermes (Qwen) format. */
export const CHATML_HERMES_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if tools %}<tool_call></tool_call>{% endif %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const CONTROL_PIECES = ['<|im_start|>', '<|im_end|>'];
const USER_DEFINED_PIECES = [
  '<tool_call>',
  '</tool_call>',
  '<tool_response>',
  '</tool_response>',
  '<think>',
  '</think>',
  '<tools>',
  '</tools>',
];
const COMMON_WORDS = [
  'assistant',
  'user',
  'system',
  'hello',
  'world',
  'the',
  'answer',
  'file',
  'read',
  'name',
  'arguments',
  'path',
  'query',
  'function',
  'tool',
  'call',
  'result',
  'json',
  'object',
  'string',
  'number',
  'true',
  'false',
  'null',
  'type',
  'properties',
];

class Vocab {
  tokens: string[] = [];
  types: number[] = [];
  scores: number[] = [];
  private ids = new Map<string, number>();
  add(piece: string, type: number, score = 0): number {
    const existing = this.ids.get(piece);
    if (existing !== undefined) return existing;
    const id = this.tokens.length;
    this.tokens.push(piece);
    this.types.push(type);
    this.scores.push(score);
    this.ids.set(piece, id);
    return id;
  }
  /** Adds a normal text piece and all its prefixes, so the tokenizer can merge up to it. */
  addText(text: string): number {
    const escaped = text.replace(/ /g, '\u2581');
    const chars = Array.from(escaped);
    let id = -1;
    for (let i = 1; i <= chars.length; i++) {
      const prefix = chars.slice(0, i).join('');
      // Longer pieces score higher, so the merge into the whole piece always wins.
      id = this.ids.get(prefix) ?? this.add(prefix, TOKEN_TYPE.normal, i);
    }
    return id;
  }
  id(piece: string): number {
    const id = this.ids.get(piece) ?? this.ids.get(piece.replace(/ /g, '\u2581'));
    if (id === undefined) throw new Error(`no token for ${JSON.stringify(piece)}`);
    return id;
  }
  get size(): number {
    return this.tokens.length;
  }
}

function baseVocab(): Vocab {
  const v = new Vocab();
  v.add('<unk>', TOKEN_TYPE.unknown);
  v.add('<s>', TOKEN_TYPE.control);
  v.add('</s>', TOKEN_TYPE.control);
  for (let b = 0; b < 256; b++) v.add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, TOKEN_TYPE.byte);
  for (const p of CONTROL_PIECES) v.add(p, TOKEN_TYPE.control);
  for (const p of USER_DEFINED_PIECES) v.add(p, TOKEN_TYPE.userDefined);
  for (let c = 0x20; c < 0x7f; c++) v.addText(String.fromCharCode(c));
  v.addText('\n');
  return v;
}

function tokenizerMetadata(v: Vocab, template: string): Array<[string, GgufValue]> {
  return [
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', values: v.tokens }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'f32', values: v.scores }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', values: v.types }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: v.id('<s>') }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: v.id('<|im_end|>') }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: v.id('<unk>') }],
    ['tokenizer.ggml.padding_token_id', { type: 'u32', value: v.id('<unk>') }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.ggml.add_space_prefix', { type: 'bool', value: false }],
    ['tokenizer.chat_template', { type: 'string', value: template }],
  ];
}

interface LlamaShape {
  name: string;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  contextLength: number;
  ropeFreqBase: number;
}

function llamaMetadata(s: LlamaShape, vocabSize: number): Array<[string, GgufValue]> {
  return [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: s.name }],
    ['general.file_type', { type: 'u32', value: 0 }],
    ['general.alignment', { type: 'u32', value: ALIGNMENT }],
    ['llama.context_length', { type: 'u32', value: s.contextLength }],
    ['llama.embedding_length', { type: 'u32', value: s.nEmbd }],
    ['llama.block_count', { type: 'u32', value: s.nLayer }],
    ['llama.feed_forward_length', { type: 'u32', value: s.nFf }],
    ['llama.attention.head_count', { type: 'u32', value: s.nHead }],
    ['llama.attention.head_count_kv', { type: 'u32', value: s.nHeadKv }],
    ['llama.rope.dimension_count', { type: 'u32', value: s.nEmbd / s.nHead }],
    ['llama.rope.freq_base', { type: 'f32', value: s.ropeFreqBase }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['llama.vocab_size', { type: 'u32', value: vocabSize }],
  ];
}

/** Deterministic PRNG (mulberry32) with a normal sampler. */
function rng(seed: number): { uniform(): number; normal(): number } {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform()),
  };
}

function layerTensors(s: LlamaShape, layer: number, fill: (name: string, dims: number[]) => Float32Array): GgufTensor[] {
  const headDim = s.nEmbd / s.nHead;
  const kv = headDim * s.nHeadKv;
  const spec: Array<[string, number[]]> = [
    ['attn_norm.weight', [s.nEmbd]],
    ['attn_q.weight', [s.nEmbd, s.nEmbd]],
    ['attn_k.weight', [s.nEmbd, kv]],
    ['attn_v.weight', [s.nEmbd, kv]],
    ['attn_output.weight', [s.nEmbd, s.nEmbd]],
    ['ffn_norm.weight', [s.nEmbd]],
    ['ffn_gate.weight', [s.nEmbd, s.nFf]],
    ['ffn_up.weight', [s.nEmbd, s.nFf]],
    ['ffn_down.weight', [s.nFf, s.nEmbd]],
  ];
  return spec.map(([n, dims]) => ({ name: `blk.${layer}.${n}`, dims, data: fill(n, dims) }));
}

const ones = (n: number) => new Float32Array(n).fill(1);

// ---------------------------------------------------------------------------------------------
// Random-weights model

export interface RandomModelOptions {
  seed?: number;
  contextLength?: number;
  name?: string;
  /** Width of the residual stream (a multiple of 4). Default 64. Larger models cost more per token. */
  embedding?: number;
  /** Default 2. */
  layers?: number;
  /** Feed-forward width. Default 2 × embedding. */
  feedForward?: number;
}

/**
 * A random `llama` model: by default embedding 64, 2 layers, 4 heads / 2 KV heads, feed-forward 128. Its
 * output is biased against tokens that would end or corrupt a generation (end-of-turn, control and
 * tool tags, invalid UTF-8 bytes), so it writes until `max_tokens` and grammars are what close JSON.
 */
export function writeRandomModel(file: string, opts: RandomModelOptions = {}): void {
  const r = rng(opts.seed ?? 1234);
  const v = baseVocab();
  for (const w of COMMON_WORDS) {
    v.addText(w);
    v.addText(` ${w}`);
  }
  const nEmbd = opts.embedding ?? 64;
  if (nEmbd % 4 !== 0 || nEmbd < 8) throw new Error(`embedding must be a multiple of 4 and at least 8, got ${nEmbd}`);
  const s: LlamaShape = {
    name: opts.name ?? 'tiny-random',
    nEmbd,
    nLayer: opts.layers ?? 2,
    nHead: 4,
    nHeadKv: 2,
    nFf: opts.feedForward ?? 2 * nEmbd,
    contextLength: opts.contextLength ?? 4096,
    ropeFreqBase: 10000,
  };
  const gauss = (n: number, scale: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = r.normal() * scale;
    return a;
  };
  // Residual dimension 0 holds a constant: embeddings set it, and no layer writes to it. The output
  // layer reads it to push banned tokens far down whatever the rest of the state is.
  const CONST = 4;
  const embd = gauss(v.size * s.nEmbd, 1);
  for (let t = 0; t < v.size; t++) embd[t * s.nEmbd] = CONST;
  const tensors: GgufTensor[] = [{ name: 'token_embd.weight', dims: [s.nEmbd, v.size], data: embd }];
  for (let l = 0; l < s.nLayer; l++) {
    tensors.push(
      ...layerTensors(s, l, (n, dims) => {
        if (n.endsWith('norm.weight')) return ones(dims[0]);
        const w = gauss(dims[0] * dims[1], 1 / Math.sqrt(dims[0]));
        // Row 0 of the projections back into the residual stream stays zero (the constant).
        if (n === 'attn_output.weight' || n === 'ffn_down.weight') w.fill(0, 0, dims[0]);
        return w;
      }),
    );
  }
  tensors.push({ name: 'output_norm.weight', dims: [s.nEmbd], data: ones(s.nEmbd) });
  const out = gauss(v.size * s.nEmbd, 1 / Math.sqrt(s.nEmbd));
  for (let t = 0; t < v.size; t++) {
    const piece = v.tokens[t];
    const type = v.types[t];
    const byte = /^<0x([0-9A-F]{2})>$/.exec(piece);
    const byteValue = byte ? parseInt(byte[1], 16) : -1;
    const banned =
      type === TOKEN_TYPE.control ||
      type === TOKEN_TYPE.unknown ||
      type === TOKEN_TYPE.userDefined ||
      byteValue >= 0x80 ||
      (byteValue >= 0 && byteValue < 0x20 && byteValue !== 0x0a);
    out[t * s.nEmbd] = banned ? -20 : 0;
  }
  tensors.push({ name: 'output.weight', dims: [s.nEmbd, v.size], data: out });
  writeFileSync(file, encodeGguf([...llamaMetadata(s, v.size), ...tokenizerMetadata(v, CHATML_HERMES_TEMPLATE)], tensors));
}

// ---------------------------------------------------------------------------------------------
// Script model

/**
 * One step of a script: after token `from` the model emits `to`. `afterToolResult` restricts the
 * step to contexts that hold a `<tool_response>` (true) or none (false); undefined means always.
 */
export interface ScriptStep {
  from: string;
  to: string;
  afterToolResult?: boolean;
}

export interface ScriptModelOptions {
  steps: ScriptStep[];
  /** Extra text pieces for the vocabulary (e.g. words the prompt uses). */
  extraPieces?: string[];
  contextLength?: number;
  name?: string;
}

/**
 * Writes a deterministic model. Attention and feed-forward outputs are zero except one attention
 * head that raises a flag in the residual stream when a `<tool_response>` token is anywhere in the
 * context; the next token is then a function of (current token, flag) only. Tokens without a step
 * are followed by `<|im_end|>`.
 */
export function writeScriptModel(file: string, opts: ScriptModelOptions): void {
  const v = baseVocab();
  for (const w of COMMON_WORDS) v.addText(w);
  for (const p of opts.extraPieces ?? []) v.addText(p);
  const pieceId = (p: string) => {
    try {
      return v.id(p);
    } catch {
      return v.addText(p);
    }
  };
  const steps = opts.steps.map((st) => ({ from: pieceId(st.from), to: pieceId(st.to), afterToolResult: st.afterToolResult }));
  const marker = v.id('<tool_response>');
  const endOfTurn = v.id('<|im_end|>');

  // Residual layout: 0 = constant, 1 = tool-result flag, 2 = every token without a slot, then one
  // slot per token that a step starts from (and the marker).
  const slotOf = new Map<number, number>();
  const slotted = [marker, ...steps.map((st) => st.from), ...steps.map((st) => st.to)];
  for (const t of slotted) if (!slotOf.has(t)) slotOf.set(t, 3 + slotOf.size);
  const nEmbd = Math.max(64, Math.ceil((3 + slotOf.size + 2) / 32) * 32);
  const s: LlamaShape = {
    name: opts.name ?? 'tiny-script',
    nEmbd,
    nLayer: 1,
    nHead: 1,
    nHeadKv: 1,
    nFf: 32,
    contextLength: opts.contextLength ?? 4096,
    ropeFreqBase: 1e30,
  };
  const slot = (t: number) => slotOf.get(t) ?? 2;

  const embd = new Float32Array(v.size * nEmbd);
  for (let t = 0; t < v.size; t++) {
    embd[t * nEmbd] = 1;
    embd[t * nEmbd + slot(t)] = 1;
  }
  // After the attention RMS norm each of the two non-zero entries is sqrt(n/2).
  const normed = Math.sqrt(nEmbd / 2);
  // The query/key signal sits in the last rotary pair: with a huge rope base its rotation is ~0 at
  // every position, so the score does not depend on distance.
  const sig = nEmbd - 1;
  const q = new Float32Array(nEmbd * nEmbd);
  const k = new Float32Array(nEmbd * nEmbd);
  const val = new Float32Array(nEmbd * nEmbd);
  const o = new Float32Array(nEmbd * nEmbd);
  const targetScore = 30; // softmax weight ~1 on the marker over thousands of other positions
  q[sig * nEmbd + 0] = 1;
  k[sig * nEmbd + slot(marker)] = (targetScore * Math.sqrt(nEmbd)) / (normed * normed);
  val[0 * nEmbd + slot(marker)] = 1 / normed; // head value dim 0 = 1 at the marker
  o[1 * nEmbd + 0] = 1; // residual flag dim 1 += value dim 0
  const layer = layerTensors(s, 0, (n, dims) => {
    if (n.endsWith('norm.weight')) return ones(dims[0]);
    if (n === 'attn_q.weight') return q;
    if (n === 'attn_k.weight') return k;
    if (n === 'attn_v.weight') return val;
    if (n === 'attn_output.weight') return o;
    return new Float32Array(dims[0] * dims[1]);
  });

  // Output logits are read after the final RMS norm (entries ~sqrt(n/2) or sqrt(n/3) with the flag).
  const out = new Float32Array(v.size * nEmbd);
  const A = 10 / Math.sqrt(nEmbd / 3);
  const addOut = (token: number, dim: number, w: number) => {
    out[token * nEmbd + dim] += w;
  };
  const fromTokens = new Set(steps.map((st) => st.from));
  for (const st of steps) {
    addOut(st.to, slot(st.from), A);
    if (st.afterToolResult === true) {
      addOut(st.to, 0, -0.3 * A);
      addOut(st.to, 1, 0.6 * A);
    } else if (st.afterToolResult === false) {
      addOut(st.to, 0, 0.15 * A);
      addOut(st.to, 1, -0.6 * A);
    }
  }
  // Every token that starts no step (the shared slot included) ends the turn.
  addOut(endOfTurn, 2, A);
  for (const [t, sl] of slotOf) if (!fromTokens.has(t)) addOut(endOfTurn, sl, A);

  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [nEmbd, v.size], data: embd },
    ...layer,
    { name: 'output_norm.weight', dims: [nEmbd], data: ones(nEmbd) },
    { name: 'output.weight', dims: [nEmbd, v.size], data: out },
  ];
  writeFileSync(file, encodeGguf([...llamaMetadata(s, v.size), ...tokenizerMetadata(v, CHATML_HERMES_TEMPLATE)], tensors));
}

/** A fresh temporary folder for model files; `cleanup` removes it. */
export function makeModelDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'orchestra-gguf-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** JSON as the tool-parameter grammar accepts it (`{"a": 1, "b": "x"}`), keys in the given order. */
export function grammarJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(grammarJson).join(', ')}]`;
  if (value && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${grammarJson(v)}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}

export interface ToolCallScript {
  /** The tool the model calls on its first turn. */
  toolName: string;
  /** Its arguments, keys in the order of the tool's schema properties. */
  arguments: Record<string, unknown>;
  /** The text the model answers once the tool result is in the context. */
  answer: string;
  /** Trained context (default 4096); a whole engine task's prompt needs more. */
  contextLength?: number;
}

/**
 * A script model for the Hermes chat format: asked anything, it calls `toolName` with `arguments`
 * (`<tool_call>{"name": .., "arguments": ..}</tool_call>`); once a tool result is in the context it
 * answers `answer` (streamed word by word) and ends its turn.
 */
export function writeToolCallScriptModel(file: string, script: ToolCallScript): void {
  const args = grammarJson(script.arguments);
  const words = script.answer.match(/\s*\S+/g) ?? [script.answer];
  const answerPieces = new Set(words).size === words.length ? words : [script.answer];
  const steps: ScriptStep[] = [
    { from: 'assistant\n', to: '<tool_call>', afterToolResult: false },
    { from: '<tool_call>', to: '\n{"name": "' },
    { from: '\n{"name": "', to: script.toolName },
    { from: script.toolName, to: '\n' },
    { from: '", "arguments": ', to: args },
    { from: args, to: '\n\n\n\n' },
    { from: 'assistant\n', to: answerPieces[0], afterToolResult: true },
  ];
  for (let i = 1; i < answerPieces.length; i++) steps.push({ from: answerPieces[i - 1], to: answerPieces[i] });
  writeScriptModel(file, {
    steps,
    extraPieces: ['assistant\n', '", "arguments": ', '\n\n\n\n'],
    name: 'tiny-script',
    contextLength: script.contextLength,
  });
}
