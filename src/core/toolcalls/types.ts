// The shapes shared by the tool-call parser: a parsed call (with what is wrong with it, when something
// is), the events a streaming parse emits, and the result of a whole reply. Format names are the
// values of a model's `toolCallFormat` setting; see catalog.ts for what each one looks like.

/** Every text format the parser reads (the catalog describes each one). */
export const TOOL_CALL_FORMATS = [
  'hermes',
  'qwen3_coder',
  'glm4_moe',
  'mistral_pre_v11',
  'mistral_v11',
  'mistral_args',
  'llama3_json',
  'llama3_builtin',
  'llama4_pythonic',
  'pythonic',
  'deepseek_v3',
  'deepseek_v31',
  'kimi_k2',
  'minimax_m1',
  'minimax_m2',
  'granite',
  'internlm2',
  'jamba',
  'hunyuan_a13b',
  'apriel',
  'phi4_mini_functools',
  'firefunction_v2',
  'xlam',
  'json_array',
  'functionary_v3_1',
  'functionary_v3_2',
  'command_r7b',
  'command_r_plus',
  'gpt_oss_harmony',
  'functiongemma',
  'apertus',
  'seed_oss',
  'step3',
  'gemma_tool_code',
  'lfm2',
  'nemotron_toolcall',
] as const;
export type ToolCallFormat = (typeof TOOL_CALL_FORMATS)[number];

/** Where a call came from: the server's own `tool_calls`, or a text format. */
export type ToolCallSource = 'native' | ToolCallFormat;

/** Why a call that was written cannot be run. */
export interface CallProblem {
  /** `cut`: the reply ended inside the call; `unreadable`: its arguments could not be read. */
  kind: 'cut' | 'unreadable';
  /** Said to the model and shown on the call's card. */
  message: string;
}

export interface ParsedToolCall {
  /** The id the model gave the call, when it gave one; otherwise a fresh one. */
  id: string;
  /** Empty when the reply was cut before the name. */
  name: string;
  arguments: Record<string, unknown>;
  /** The arguments as the model wrote them (after extraction from the markup). */
  rawArguments: string;
  source: ToolCallSource;
  /** Set when the call must not run. */
  problem?: CallProblem;
  /** The `index` the streaming events used for this call (text formats), to match cards shown early. */
  streamIndex?: number;
}

/** What a streaming parse tells as the text arrives. */
export type StreamEvent =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  /** A call's name became known (`index` counts the reply's calls from 0). */
  | { type: 'call_start'; index: number; name: string; id?: string }
  /** More of a call's arguments as written (JSON text; XML formats are rendered as JSON). */
  | { type: 'call_delta'; index: number; text: string };

export interface ParseResult {
  calls: ParsedToolCall[];
  /** The reply without call markup, reasoning or special tokens: what a user may be shown. */
  text: string;
  reasoning: string;
  /** Problems that are not one call's (markup that could not be read at all, a format mismatch). */
  errors: string[];
  /** The formats the calls were written in, in order of first use. */
  formats: ToolCallFormat[];
}

export interface ParseOptions {
  /**
   * Which formats to read. `auto` (default): every format; `native`: none (only reasoning and special
   * tokens are taken out of the text); a format name: that one only.
   */
  format?: 'auto' | 'native' | ToolCallFormat;
  /** In `auto`, a format the model is known to write (from its name or chat template): its weaker cues count too. */
  hint?: ToolCallFormat;
  /** JSON schema of each tool's parameters by name: text values (XML, pythonic) are typed by it. */
  schemas?: Record<string, unknown>;
  /** Whether calls are read at all (false: no tools were offered; the text is only cleaned). Default true. */
  calls?: boolean;
}

/** How a reply ended, as the server said (`length`: the max-token limit). */
export interface EndInfo {
  finishReason?: string;
  /** The max tokens the request allowed, for the message a cut call gets. */
  maxTokens?: number;
}
