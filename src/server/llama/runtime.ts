// The embedded llama.cpp runtime (node-llama-cpp): one Llama instance per process, models loaded on
// first use and shared by concurrent calls (one context sequence per call, at most `concurrency`
// at once per model), unloaded after `idleUnloadSeconds` without calls. A sequence outlives its
// call with its KV cache: the next call goes to the idle sequence that already holds the longest
// prefix of its prompt (the turns of a task, calls sharing a system prompt), so only the new tokens
// are evaluated. Never compiles or downloads anything: it uses the prebuilt binary in node_modules.
import * as os from 'node:os';
import type { ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';

export type NodeLlamaCpp = typeof import('node-llama-cpp');

/** What to do when this build has no embedded runtime (the universal .vsix, a `--omit=optional` install). */
export const NO_RUNTIME_HINT =
  'this Orchestra build has no embedded llama.cpp runtime for this platform. Install the Orchestra .vsix built for your platform (linux-x64, linux-arm64, darwin-arm64, darwin-x64, win32-x64), or serve the GGUF file with llama.cpp (llama-server), Ollama or LM Studio and add it as a model endpoint (Orchestra: Discover local model servers); remote and server models work as they are';

let modulePromise: Promise<NodeLlamaCpp> | undefined;
/** node-llama-cpp is ESM-only; our bundles are CommonJS, so it is loaded with a dynamic import. */
export function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  modulePromise ??= import('node-llama-cpp').catch((err: unknown) => {
    modulePromise = undefined;
    const missing = (err as NodeJS.ErrnoException)?.code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(String(err));
    throw new Error(
      missing
        ? NO_RUNTIME_HINT
        : `the embedded llama.cpp runtime (node-llama-cpp) could not be loaded: ${err instanceof Error ? err.message : String(err)}`,
    );
  });
  return modulePromise;
}

/** Chat formats a model can be served with; `auto` picks one from the GGUF's chat template. */
export const CHAT_FORMATS = ['auto', 'chatml', 'hermes', 'llama3', 'mistral', 'gemma', 'deepseek', 'harmony', 'jinja'] as const;
export type ChatFormat = (typeof CHAT_FORMATS)[number];

/**
 * Picks a chat format from the template text with cheap string checks (auto-detection by rendering
 * the Jinja template costs ~0.6 s). Unknown templates fall back to ChatML.
 */
export function detectChatFormat(template: string | undefined): Exclude<ChatFormat, 'auto'> {
  if (!template) return 'chatml';
  if (template.includes('<|im_start|>')) return template.includes('<tool_call>') ? 'hermes' : 'chatml';
  if (template.includes('<|start_header_id|>')) return 'llama3';
  if (template.includes('<|channel|>')) return 'harmony';
  if (template.includes('[INST]')) return 'mistral';
  if (template.includes('<start_of_turn>')) return 'gemma';
  if (template.includes('<｜Assistant｜>') || template.includes('<｜assistant｜>')) return 'deepseek';
  return 'chatml';
}

/** The chat wrapper the runtime serves `model` with in `format` (exported so benchmarks drive the model the same way). */
export function createChatWrapper(lib: NodeLlamaCpp, format: Exclude<ChatFormat, 'auto'>, model: LlamaModel): ChatWrapper {
  switch (format) {
    case 'hermes':
      // Qwen 2.5/3 style: <tool_call>{"name": .., "arguments": ..}</tool_call>, results in <tool_response>.
      // The flat option puts a string tool result in as-is instead of JSON-quoting it.
      return new lib.QwenChatWrapper({ _flatFunctionResultString: true } as ConstructorParameters<NodeLlamaCpp['QwenChatWrapper']>[0]);
    case 'chatml':
      return new lib.ChatMLChatWrapper();
    case 'llama3':
      return new lib.Llama3_1ChatWrapper();
    case 'mistral':
      return new lib.MistralChatWrapper();
    case 'gemma':
      return new lib.GemmaChatWrapper();
    case 'deepseek':
      return new lib.DeepSeekChatWrapper();
    case 'harmony':
      return new lib.HarmonyChatWrapper();
    case 'jinja': {
      const resolved = lib.resolveChatWrapper({ type: 'auto', fileInfo: model.fileInfo, tokenizer: model.tokenizer, warningLogs: false });
      return resolved ?? new lib.ChatMLChatWrapper();
    }
  }
}

export interface RuntimeLogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** GPU offload: `auto` as many layers as fit, `max` all of them, a number that many, 0 none (CPU only). */
export type GpuLayers = 'auto' | 'max' | number;

export interface LlamaRuntimeOptions {
  /** CPU threads for evaluation; capped at the core count. Default: the physical cores llama.cpp counts. */
  threads?: number;
  /** `auto` uses a GPU build when one is installed (CUDA/Vulkan/Metal packages); false forces CPU. */
  gpu?: 'auto' | false;
  /** Layers offloaded to the GPU when a GPU build is in use. Default `auto`; 0 is the same as `gpu: false`. */
  gpuLayers?: GpuLayers;
  /** Concurrent calls per model (context sequences). Default 2. */
  concurrency?: number;
  /** Unload a model after this many seconds without calls. Default 300. */
  idleUnloadSeconds?: number;
  /** Context tokens per sequence, capped at the model's trained context. Default 8192. */
  contextSize?: number;
  log?: (entry: RuntimeLogEntry) => void;
}

export interface ModelSpec {
  path: string;
  chatFormat?: ChatFormat;
}

/** A loaded model, for work before a sequence is taken (rendering and counting the prompt). */
export interface ModelHandle {
  lib: NodeLlamaCpp;
  llama: Llama;
  model: LlamaModel;
  chatWrapper: ChatWrapper;
  contextSize: number;
}

/** One call's hold on a model: a context sequence of its own, released when the call ends. */
export interface SequenceLease extends ModelHandle {
  sequence: LlamaContextSequence;
  /** Prompt tokens already in the sequence's KV cache when it was handed out (reused, not evaluated again). */
  reusedTokens: number;
  release(): void;
}

interface LoadedModel {
  model: LlamaModel;
  context: LlamaContext;
  chatWrapper: ChatWrapper;
  contextSize: number;
  active: number;
  /** Sequences no call holds, each with the KV cache its last call left. */
  idle: LlamaContextSequence[];
  waiters: Array<{ resolve: () => void; reject: (err: Error) => void; signal?: AbortSignal; onAbort?: () => void }>;
  idleTimer?: NodeJS.Timeout;
}

export function coreCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length || 1;
}

export class LlamaRuntime {
  private llamaPromise?: Promise<Llama>;
  private readonly models = new Map<string, Promise<LoadedModel>>();
  private closed = false;
  private resolvedThreads: number | undefined;
  readonly concurrency: number;
  readonly idleUnloadMs: number;
  readonly contextSize: number;
  readonly gpuLayers: GpuLayers;

  constructor(private readonly opts: LlamaRuntimeOptions = {}) {
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 2));
    this.idleUnloadMs = Math.max(1, opts.idleUnloadSeconds ?? 300) * 1000;
    this.contextSize = Math.max(512, Math.floor(opts.contextSize ?? 8192));
    this.gpuLayers = opts.gpu === false ? 0 : (opts.gpuLayers ?? 'auto');
  }

  /** Evaluation threads: the configured number (at most the core count), else llama.cpp's count of physical cores once it has started. */
  get threads(): number {
    if (this.opts.threads !== undefined) return Math.max(1, Math.min(coreCount(), Math.floor(this.opts.threads)));
    return this.resolvedThreads ?? coreCount();
  }

  private log(level: RuntimeLogEntry['level'], message: string): void {
    this.opts.log?.({ level, message });
  }

  getLlama(): Promise<Llama> {
    if (this.closed) return Promise.reject(new Error('the local model runtime is closed'));
    this.llamaPromise ??= (async () => {
      const lib = await loadNodeLlamaCpp();
      const common = {
        build: 'never' as const,
        // Its default (at least 4) oversubscribes small machines, where spinning threads run 100x slower.
        maxThreads: this.threads,
        progressLogs: false,
        logLevel: lib.LlamaLogLevel.warn,
        logger: (level: unknown, message: string) => {
          const text = message.trim();
          if (text)
            this.log(level === lib.LlamaLogLevel.error || level === lib.LlamaLogLevel.fatal ? 'error' : 'warn', `llama.cpp: ${text}`);
        },
      };
      let llama: Llama;
      if (this.gpuLayers === 0) llama = await lib.getLlama({ ...common, gpu: false });
      else {
        try {
          llama = await lib.getLlama({ ...common, gpu: 'auto' });
        } catch (err) {
          this.log('warn', `no usable GPU build (${err instanceof Error ? err.message : String(err)}); using the CPU`);
          llama = await lib.getLlama({ ...common, gpu: false });
        }
      }
      if (this.opts.threads === undefined) {
        this.resolvedThreads = Math.max(1, Math.min(coreCount(), llama.cpuMathCores || coreCount()));
        llama.maxThreads = this.resolvedThreads;
      }
      return llama;
    })().catch((err: unknown) => {
      this.llamaPromise = undefined;
      // No prebuilt binary for this platform in this install: say what to do, not only what failed.
      const noBinary = err instanceof Error && (err.constructor.name === 'NoBinaryFoundError' || /NoBinaryFoundError/.test(err.message));
      throw new Error(
        `the embedded llama.cpp runtime could not start: ${noBinary ? NO_RUNTIME_HINT : err instanceof Error ? err.message : String(err)}`,
      );
    });
    return this.llamaPromise;
  }

  private load(spec: ModelSpec): Promise<LoadedModel> {
    let pending = this.models.get(spec.path);
    if (!pending) {
      pending = (async () => {
        const lib = await loadNodeLlamaCpp();
        const llama = await this.getLlama();
        const started = Date.now();
        let model: LlamaModel;
        try {
          // `gpuLayers` only matters with a GPU build; with the CPU build everything stays in RAM.
          model = await llama.loadModel({ modelPath: spec.path, gpuLayers: llama.gpu ? this.gpuLayers : 0 });
        } catch (err) {
          throw new Error(`${spec.path}: the model could not be loaded (${err instanceof Error ? err.message : String(err)})`, {
            cause: err,
          });
        }
        const contextSize = Math.min(this.contextSize, model.trainContextSize || this.contextSize);
        let context: LlamaContext;
        try {
          context = await model.createContext({ contextSize, sequences: this.concurrency, threads: this.threads });
        } catch (err) {
          await model.dispose();
          throw new Error(
            `${spec.path}: no memory for a ${contextSize}-token context (${err instanceof Error ? err.message : String(err)})`,
            { cause: err },
          );
        }
        const template = model.fileInfo.metadata?.tokenizer?.chat_template;
        const format =
          !spec.chatFormat || spec.chatFormat === 'auto'
            ? detectChatFormat(typeof template === 'string' ? template : undefined)
            : spec.chatFormat;
        const chatWrapper = createChatWrapper(lib, format, model);
        this.log(
          'info',
          `loaded ${spec.path} in ${Date.now() - started} ms (${format} chat format, ${contextSize}-token context, ${this.threads} threads, gpu: ${llama.gpu ? `${llama.gpu}, ${model.gpuLayers} layers offloaded` : 'none'})`,
        );
        return { model, context, chatWrapper, contextSize, active: 0, idle: [], waiters: [] };
      })();
      pending.catch(() => this.models.delete(spec.path));
      this.models.set(spec.path, pending);
    }
    return pending;
  }

  /** The model of `spec`, loaded when needed (the prompt is rendered and counted with it before a sequence is taken). */
  async model(spec: ModelSpec): Promise<ModelHandle> {
    const lib = await loadNodeLlamaCpp();
    const llama = await this.getLlama();
    const loaded = await this.load(spec);
    return { lib, llama, model: loaded.model, chatWrapper: loaded.chatWrapper, contextSize: loaded.contextSize };
  }

  /**
   * A context sequence of `spec`'s model for one call, loading the model when needed and waiting
   * while `concurrency` calls already hold one. With the call's prompt `tokens`, the idle sequence
   * holding the longest prefix of them is chosen. Abort `signal` to stop waiting.
   */
  async acquire(spec: ModelSpec, signal?: AbortSignal, tokens?: readonly Token[]): Promise<SequenceLease> {
    const handle = await this.model(spec);
    const loaded = await this.load(spec);
    if (loaded.idleTimer) {
      clearTimeout(loaded.idleTimer);
      loaded.idleTimer = undefined;
    }
    // Queue behind earlier waiters too, so a freed slot goes to them in order.
    if (loaded.active >= this.concurrency || loaded.waiters.length > 0) {
      // A releasing call hands its slot straight to the first waiter (`active` stays counted), so no
      // new arrival can take the sequence between the release and this call resuming.
      await new Promise<void>((resolve, reject) => {
        const waiter: LoadedModel['waiters'][number] = { resolve, reject, signal };
        if (signal) {
          if (signal.aborted) return reject(new Error('cancelled while waiting for the model'));
          waiter.onAbort = () => {
            loaded.waiters = loaded.waiters.filter((w) => w !== waiter);
            reject(new Error('cancelled while waiting for the model'));
          };
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        loaded.waiters.push(waiter);
      });
    } else {
      loaded.active++;
    }
    let picked: { sequence: LlamaContextSequence; reusedTokens: number };
    try {
      picked = this.pickSequence(loaded, tokens);
    } catch (err) {
      this.freeSlot(spec.path, loaded);
      throw err;
    }
    const { sequence, reusedTokens } = picked;
    let released = false;
    return {
      ...handle,
      sequence,
      reusedTokens,
      release: () => {
        if (released) return;
        released = true;
        // The sequence keeps its KV cache for the next call that shares its prefix.
        if (!sequence.disposed) loaded.idle.push(sequence);
        this.freeSlot(spec.path, loaded);
      },
    };
  }

  /** The idle sequence with the longest cached prefix of `tokens`; a fresh one when none shares anything and one is left. */
  private pickSequence(
    loaded: LoadedModel,
    tokens: readonly Token[] | undefined,
  ): { sequence: LlamaContextSequence; reusedTokens: number } {
    let best = -1;
    let bestShared = 0;
    loaded.idle.forEach((seq, i) => {
      const shared = tokens?.length ? seq.compareContextTokens(tokens as Token[]).firstDifferentIndex : 0;
      if (best < 0 || shared > bestShared) {
        best = i;
        bestShared = shared;
      }
    });
    if ((best < 0 || bestShared === 0) && loaded.context.sequencesLeft > 0)
      return { sequence: loaded.context.getSequence(), reusedTokens: 0 };
    if (best < 0) throw new Error('no free context sequence (internal error: the slot count and the sequences disagree)');
    const [sequence] = loaded.idle.splice(best, 1);
    return { sequence: sequence, reusedTokens: bestShared };
  }

  /** A call gave its slot back: it goes to the first waiter (still counted as active), else it is freed. */
  private freeSlot(path: string, loaded: LoadedModel): void {
    const next = loaded.waiters.shift();
    if (next) {
      if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
      next.resolve();
      return;
    }
    loaded.active--;
    if (loaded.active === 0) this.scheduleUnload(path, loaded);
  }

  private scheduleUnload(path: string, loaded: LoadedModel): void {
    loaded.idleTimer = setTimeout(() => {
      if (loaded.active > 0) return;
      this.models.delete(path);
      this.log('info', `unloaded ${path} after ${Math.round(this.idleUnloadMs / 1000)} s idle`);
      void loaded.context.dispose().then(() => loaded.model.dispose());
    }, this.idleUnloadMs);
    loaded.idleTimer.unref();
  }

  /** Unloads every model and releases the llama.cpp instance. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.models.values()];
    this.models.clear();
    for (const p of all) {
      const loaded = await p.catch(() => undefined);
      if (!loaded) continue;
      if (loaded.idleTimer) clearTimeout(loaded.idleTimer);
      for (const w of loaded.waiters) w.reject(new Error('the local model runtime is closing'));
      await loaded.context.dispose();
      await loaded.model.dispose();
    }
    const llama = await this.llamaPromise?.catch(() => undefined);
    this.llamaPromise = undefined;
    await llama?.dispose();
  }
}
