// Reads a GGUF file's header (metadata and tensor table) without loading the model, so the CLI, the
// panel and the engine can say what a local model is and whether it fits before anything is loaded.
// Every failure is an Error naming the file and the cause.
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import * as os from 'node:os';
// One byte formatter for the engine, the extension and the panel (plain string code, no DOM).
import { formatBytes } from '../../core/format';

export { formatBytes };

/** Architectures the bundled llama.cpp (node-llama-cpp 3.21.1) can run as text-generation models. */
export const SUPPORTED_ARCHITECTURES: ReadonlySet<string> = new Set(
  (
    'llama llama4 deci falcon grok gpt2 gptj gptneox mpt baichuan starcoder refact bloom stablelm qwen qwen2 qwen2moe ' +
    'qwen2vl qwen3 qwen3moe qwen3next qwen3vl qwen3vlmoe qwen35 qwen35moe phi2 phi3 phimoe plamo plamo2 plamo3 codeshell ' +
    'orion internlm2 minicpm minicpm3 gemma gemma2 gemma3 gemma3n gemma4 starcoder2 mamba mamba2 jamba falcon-h1 xverse ' +
    'command-r cohere2 cohere2moe dbrx olmo olmo2 olmoe openelm arctic deepseek deepseek2 deepseek32 deepseek4 chatglm ' +
    'glm4 glm4moe bitnet jais jais2 nemotron nemotron_h nemotron_h_moe exaone exaone4 exaone-moe rwkv6 rwkv6qwen2 rwkv7 ' +
    'arwkv7 granite granitemoe granitehybrid chameleon plm bailingmoe bailingmoe2 dots1 arcee afmoe ernie4_5 ernie4_5-moe ' +
    'hunyuan-moe hunyuan-dense smollm3 gpt-oss lfm2 lfm2moe smallthinker seed_oss grovemoe apertus minimax-m2 mistral3 ' +
    'mistral4 mimo2 step35 kimi-linear'
  ).split(' '),
);

/** Architectures that exist in GGUF but are not chat models (embeddings, encoders, audio, vision towers). */
const NON_CHAT_ARCHITECTURES = new Set([
  'bert',
  'modern-bert',
  'nomic-bert',
  'nomic-bert-moe',
  'neo-bert',
  'jina-bert-v2',
  'jina-bert-v3',
  'eurobert',
  't5',
  't5encoder',
  'clip',
  'wavtokenizer-dec',
  'gemma-embedding',
  'llama-embed',
]);

/** `general.file_type` values (llama_ftype). */
const FILE_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
  36: 'TQ1_0',
  37: 'TQ2_0',
  38: 'MXFP4',
};

/** ggml tensor types: [name, block size (elements), bytes per block]. */
const GGML_TYPES: Record<number, [string, number, number]> = {
  0: ['F32', 1, 4],
  1: ['F16', 1, 2],
  2: ['Q4_0', 32, 18],
  3: ['Q4_1', 32, 20],
  6: ['Q5_0', 32, 22],
  7: ['Q5_1', 32, 24],
  8: ['Q8_0', 32, 34],
  9: ['Q8_1', 32, 36],
  10: ['Q2_K', 256, 84],
  11: ['Q3_K', 256, 110],
  12: ['Q4_K', 256, 144],
  13: ['Q5_K', 256, 176],
  14: ['Q6_K', 256, 210],
  15: ['Q8_K', 256, 292],
  16: ['IQ2_XXS', 256, 66],
  17: ['IQ2_XS', 256, 74],
  18: ['IQ3_XXS', 256, 98],
  19: ['IQ1_S', 256, 50],
  20: ['IQ4_NL', 32, 18],
  21: ['IQ3_S', 256, 110],
  22: ['IQ2_S', 256, 82],
  23: ['IQ4_XS', 256, 136],
  24: ['I8', 1, 1],
  25: ['I16', 1, 2],
  26: ['I32', 1, 4],
  27: ['I64', 1, 8],
  28: ['F64', 1, 8],
  29: ['IQ1_M', 256, 56],
  30: ['BF16', 1, 2],
  34: ['TQ1_0', 256, 54],
  35: ['TQ2_0', 256, 66],
  39: ['MXFP4', 32, 17],
};

export interface GgufInfo {
  file: string;
  sizeBytes: number;
  ggufVersion: number;
  architecture: string;
  /** `general.name`, else the file name without `.gguf`. */
  name: string;
  trainedContextLength: number | undefined;
  /** Exact count from the tensor table. */
  parameterCount: number;
  /** e.g. "7.6B". */
  parameterLabel: string;
  /** e.g. "Q4_K_M"; from `general.file_type`, else the most common tensor type. */
  quantization: string;
  layerCount: number | undefined;
  embeddingLength: number | undefined;
  headCount: number | undefined;
  headCountKv: number | undefined;
  keyLength: number | undefined;
  valueLength: number | undefined;
  chatTemplate: string | undefined;
  supported: boolean;
  /** Metadata keys and scalar values (arrays are summarised by length). */
  metadata: Record<string, string | number | boolean | bigint | { arrayLength: number }>;
}

export class GgufError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'GgufError';
  }
}

/** Buffered sequential reader over a file handle (metadata arrays can be megabytes). */
class HeaderReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
    private readonly file: string,
  ) {}
  private async ensure(n: number): Promise<void> {
    const have = this.bufStart + this.buf.length - this.pos;
    if (have >= n) return;
    if (this.pos + n > this.size)
      throw new GgufError(this.file, `truncated: the header needs ${this.pos + n} bytes but the file has ${this.size}`);
    const want = Math.max(n, 1 << 20);
    const chunk = Buffer.alloc(Math.min(want, this.size - this.pos));
    const { bytesRead } = await this.fh.read(chunk, 0, chunk.length, this.pos);
    this.buf = chunk.subarray(0, bytesRead);
    this.bufStart = this.pos;
    if (bytesRead < n) throw new GgufError(this.file, 'truncated while reading the header');
  }
  private async take(n: number): Promise<Buffer> {
    await this.ensure(n);
    const off = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(off, off + n);
  }
  async u32(): Promise<number> {
    return (await this.take(4)).readUInt32LE(0);
  }
  async u64(): Promise<bigint> {
    return (await this.take(8)).readBigUInt64LE(0);
  }
  skip(n: number): Promise<void> {
    if (this.pos + n > this.size) return Promise.reject(new GgufError(this.file, 'truncated while reading the header'));
    this.pos += n;
    return Promise.resolve();
  }
  async string(): Promise<string> {
    const len = Number(await this.u64());
    if (len > 64 * 1024 * 1024) throw new GgufError(this.file, `corrupt header: a string claims ${len} bytes`);
    return (await this.take(len)).toString('utf8');
  }
  async scalar(type: number): Promise<string | number | boolean | bigint> {
    switch (type) {
      case 0:
        return (await this.take(1)).readUInt8(0);
      case 1:
        return (await this.take(1)).readInt8(0);
      case 2:
        return (await this.take(2)).readUInt16LE(0);
      case 3:
        return (await this.take(2)).readInt16LE(0);
      case 4:
        return (await this.take(4)).readUInt32LE(0);
      case 5:
        return (await this.take(4)).readInt32LE(0);
      case 6:
        return (await this.take(4)).readFloatLE(0);
      case 7:
        return (await this.take(1)).readUInt8(0) !== 0;
      case 8:
        return this.string();
      case 10: {
        const v = (await this.take(8)).readBigUInt64LE(0);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 11: {
        const v = (await this.take(8)).readBigInt64LE(0);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
      }
      case 12:
        return (await this.take(8)).readDoubleLE(0);
      default:
        throw new GgufError(this.file, `corrupt header: unknown value type ${type}`);
    }
  }
  /** Skips an array's items without materialising them (token lists hold 100k+ strings). */
  async skipArray(itemType: number, count: number): Promise<void> {
    const fixed: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
    if (fixed[itemType] !== undefined) return this.skip(fixed[itemType] * count);
    if (itemType === 8) {
      for (let i = 0; i < count; i++) {
        const len = Number(await this.u64());
        await this.skip(len);
      }
      return;
    }
    if (itemType === 9) {
      for (let i = 0; i < count; i++) {
        const t = await this.u32();
        const n = Number(await this.u64());
        await this.skipArray(t, n);
      }
      return;
    }
    throw new GgufError(this.file, `corrupt header: unknown array item type ${itemType}`);
  }
}

function formatParameters(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}K`;
  return String(n);
}

/** Reads a GGUF file's metadata and tensor table. Throws a GgufError naming the file and the cause. */
export async function readGgufInfo(file: string): Promise<GgufInfo> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new GgufError(file, 'not a file');
    size = st.size;
  } catch (err) {
    if (err instanceof GgufError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new GgufError(file, code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(err)})`);
  }
  const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new GgufError(file, `cannot open the file (${err.code ?? err.message})`);
  });
  try {
    const r = new HeaderReader(fh, size, file);
    if (size < 24) throw new GgufError(file, `not a GGUF model (only ${size} bytes)`);
    const magicBytes = Buffer.alloc(4);
    await fh.read(magicBytes, 0, 4, 0);
    if (magicBytes.toString('latin1') !== 'GGUF') throw new GgufError(file, 'not a GGUF model (the file does not start with "GGUF")');
    await r.skip(4);
    const version = await r.u32();
    if (version < 2 || version > 3) throw new GgufError(file, `unsupported GGUF version ${version} (2 and 3 are supported)`);
    const tensorCount = Number(await r.u64());
    const kvCount = Number(await r.u64());
    if (tensorCount > 1_000_000 || kvCount > 1_000_000) throw new GgufError(file, 'corrupt header (implausible tensor or key count)');

    const metadata: GgufInfo['metadata'] = {};
    for (let i = 0; i < kvCount; i++) {
      const key = await r.string();
      const type = await r.u32();
      if (type === 9) {
        const itemType = await r.u32();
        const count = Number(await r.u64());
        await r.skipArray(itemType, count);
        metadata[key] = { arrayLength: count };
      } else {
        metadata[key] = await r.scalar(type);
      }
    }
    const alignment = typeof metadata['general.alignment'] === 'number' ? metadata['general.alignment'] : 32;
    let parameterCount = 0;
    let dataEnd = 0;
    const typeCounts = new Map<string, number>();
    for (let i = 0; i < tensorCount; i++) {
      await r.string();
      const nDims = await r.u32();
      if (nDims > 8) throw new GgufError(file, 'corrupt tensor table');
      let elements = 1;
      for (let d = 0; d < nDims; d++) elements *= Number(await r.u64());
      const ggmlType = await r.u32();
      const offset = Number(await r.u64());
      const t = GGML_TYPES[ggmlType];
      if (!t) throw new GgufError(file, `unknown tensor type ${ggmlType}`);
      parameterCount += elements;
      typeCounts.set(t[0], (typeCounts.get(t[0]) ?? 0) + elements);
      dataEnd = Math.max(dataEnd, offset + Math.ceil(elements / t[1]) * t[2]);
    }
    const dataStart = Math.ceil(r.pos / alignment) * alignment;
    if (dataStart + dataEnd > size) {
      throw new GgufError(
        file,
        `truncated: the tensors need ${dataStart + dataEnd} bytes but the file has ${size} (an interrupted download?)`,
      );
    }

    const arch = metadata['general.architecture'];
    const architecture = typeof arch === 'string' ? arch : '';
    if (!architecture) throw new GgufError(file, 'corrupt header: no general.architecture');
    const num = (k: string): number | undefined => {
      const v = metadata[`${architecture}.${k}`];
      return typeof v === 'number' ? v : undefined;
    };
    const fileType = metadata['general.file_type'];
    let quantization = typeof fileType === 'number' ? FILE_TYPES[fileType] : undefined;
    if (!quantization) quantization = [...typeCounts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
    const template = metadata['tokenizer.chat_template'];
    return {
      file,
      sizeBytes: size,
      ggufVersion: version,
      architecture,
      name:
        typeof metadata['general.name'] === 'string' && metadata['general.name']
          ? metadata['general.name']
          : basename(file).replace(/\.gguf$/i, ''),
      trainedContextLength: num('context_length'),
      parameterCount,
      parameterLabel: formatParameters(parameterCount),
      quantization,
      layerCount: num('block_count'),
      embeddingLength: num('embedding_length'),
      headCount: num('attention.head_count'),
      headCountKv: num('attention.head_count_kv') ?? num('attention.head_count'),
      keyLength: num('attention.key_length'),
      valueLength: num('attention.value_length'),
      chatTemplate: typeof template === 'string' ? template : undefined,
      supported: SUPPORTED_ARCHITECTURES.has(architecture),
      metadata,
    };
  } finally {
    await fh.close();
  }
}

/** KV cache bytes for `contextLength` tokens per sequence (f16 cache), from the header's shape. */
export function estimateKvCacheBytes(info: GgufInfo, contextLength: number, sequences = 1): number {
  const layers = info.layerCount ?? 32;
  const heads = info.headCount ?? 32;
  const kvHeads = info.headCountKv ?? heads;
  const embd = info.embeddingLength ?? 4096;
  const keyLen = info.keyLength ?? Math.floor(embd / heads);
  const valueLen = info.valueLength ?? keyLen;
  return layers * contextLength * sequences * kvHeads * (keyLen + valueLen) * 2;
}

export interface MemoryFit {
  /** Fits in total RAM (with some room for the OS and the editor). */
  fits: boolean;
  /** Fits in the RAM free right now. */
  fitsNow: boolean;
  neededBytes: number;
  freeBytes: number;
  totalBytes: number;
  contextLength: number;
  summary: string;
}

/**
 * Whether a model fits in memory: weights (the file size) + KV cache for the context + compute
 * buffers (~10% + 100 MB), against total RAM less 1.5 GB kept for the system and editor.
 */
export function fitsInMemory(
  info: GgufInfo,
  opts: { contextLength?: number; sequences?: number; totalBytes?: number; freeBytes?: number } = {},
): MemoryFit {
  const contextLength = Math.min(opts.contextLength ?? 8192, info.trainedContextLength ?? opts.contextLength ?? 8192);
  const neededBytes = Math.round(info.sizeBytes * 1.1 + estimateKvCacheBytes(info, contextLength, opts.sequences ?? 1) + 100 * 1024 ** 2);
  const totalBytes = opts.totalBytes ?? os.totalmem();
  const freeBytes = opts.freeBytes ?? os.freemem();
  const reserve = 1.5 * 1024 ** 3;
  const fits = neededBytes <= totalBytes - reserve;
  const fitsNow = neededBytes <= freeBytes;
  const summary = fits
    ? `needs ~${formatBytes(neededBytes)} of ${formatBytes(totalBytes)} RAM${fitsNow ? '' : ` (only ${formatBytes(freeBytes)} free now)`}`
    : `too large: needs ~${formatBytes(neededBytes)} but this machine has ${formatBytes(totalBytes)} RAM`;
  return { fits, fitsNow, neededBytes, freeBytes, totalBytes, contextLength, summary };
}

/**
 * Reads and checks a model for serving: a GGUF file, a chat architecture the runtime supports, and
 * small enough for this machine. Throws a GgufError naming the file and the cause.
 */
export async function validateLocalModel(
  file: string,
  opts: { contextLength?: number; sequences?: number; totalBytes?: number } = {},
): Promise<GgufInfo> {
  const info = await readGgufInfo(file);
  if (NON_CHAT_ARCHITECTURES.has(info.architecture))
    throw new GgufError(file, `architecture "${info.architecture}" is not a chat model (embedding/encoder models cannot answer)`);
  if (!info.supported) throw new GgufError(file, `unsupported architecture "${info.architecture}" (the bundled llama.cpp cannot run it)`);
  const fit = fitsInMemory(info, { ...opts, freeBytes: Number.MAX_SAFE_INTEGER });
  if (!fit.fits) throw new GgufError(file, `model too large for this machine: ${fit.summary}`);
  return info;
}
