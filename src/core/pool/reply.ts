// One reply as it arrives, read into what the orchestrator needs: the server's native tool calls
// (assembled from their pieces), the text run through the tool-call scanner per the model's
// `toolCallFormat` (reasoning and special tokens taken out, text-format calls found), and at the end
// the calls with their problems (cut by the token limit, unreadable) instead of silently repaired.
import type OpenAI from 'openai';
import {
  ToolCallStream,
  checkFormat,
  formatFromModelName,
  newToolCallId,
  repairJson,
  type ParsedToolCall,
  type ParseOptions,
  type StreamEvent,
  type ToolCallFormat,
} from '../toolcalls';
import type { ModelEntry } from '../config';

/** A piece of a streaming reply. `toolCall` carries a call's arguments as assembled so far. */
export interface ChatDelta {
  content?: string;
  reasoning?: string;
  toolCall?: {
    index: number;
    name: string;
    arguments: string;
    /** The model's id for the call, when it gave one. */
    id?: string;
    /** `native`: the server's tool_calls; `text`: written in the text (indices count separately). */
    origin: 'native' | 'text';
    /** What this piece added to `arguments` (so a consumer need not compare the whole text). */
    delta?: string;
  };
}

export type NativeCall = { id?: string; name: string; arguments: string };

export interface ReadReply {
  content: string;
  reasoning: string;
  toolCalls: ParsedToolCall[];
  toolCallErrors: string[];
}

/** The text format a model is read with, and the format its name suggests (a hint under `auto`). */
export function parseOptionsFor(
  model: Pick<ModelEntry, 'model' | 'id' | 'toolCallFormat'>,
  toolsOffered: boolean,
  schemas: Record<string, unknown>,
): ParseOptions {
  const setting = model.toolCallFormat ?? 'auto';
  const hint = setting === 'auto' ? (formatFromModelName(model.model) ?? formatFromModelName(model.id)) : undefined;
  return { format: setting, hint, schemas, calls: toolsOffered };
}

export class ReplyReader {
  private readonly stream: ToolCallStream;
  private raw = '';
  private serverReasoning = '';
  private readonly native: Array<NativeCall | undefined> = [];
  private readonly textArgs = new Map<number, { name: string; id?: string; args: string }>();

  constructor(
    private readonly options: ParseOptions,
    private readonly onDelta?: (d: ChatDelta) => void,
  ) {
    this.stream = new ToolCallStream(options);
  }

  /** The text as the model sent it, so far. */
  get rawContent(): string {
    return this.raw;
  }
  get reasoningSoFar(): string {
    return this.serverReasoning;
  }
  /** The native calls assembled so far (holes a server's odd numbering leaves are skipped). */
  nativeCalls(): NativeCall[] {
    return this.native.filter((c): c is NativeCall => c !== undefined && c !== null);
  }

  content(piece: string): void {
    if (!piece) return;
    this.raw += piece;
    this.forward(this.stream.push(piece));
  }

  reasoning(piece: string): void {
    if (!piece) return;
    this.serverReasoning += piece;
    this.onDelta?.({ reasoning: piece });
  }

  /** A piece of a native call as the server streams it (or a whole one). */
  nativePiece(tc: { index?: number; id?: string; function?: { name?: string; arguments?: string } }): void {
    const n = this.native;
    const index = tc.index ?? (tc.id && !n.some((c) => c?.id === tc.id) ? n.length : Math.max(0, n.length - 1));
    const slot = (n[index] ??= { name: '', arguments: '' });
    if (tc.id) slot.id = tc.id;
    if (tc.function?.name) slot.name = slot.name && slot.name !== tc.function.name ? slot.name + tc.function.name : tc.function.name;
    if (tc.function?.arguments) {
      slot.arguments += tc.function.arguments;
      this.onDelta?.({
        toolCall: { index, name: slot.name, arguments: slot.arguments, id: slot.id, origin: 'native', delta: tc.function.arguments },
      });
    }
  }

  private forward(events: StreamEvent[]): void {
    if (!this.onDelta) return;
    for (const e of events) {
      if (e.type === 'text') this.onDelta({ content: e.text });
      else if (e.type === 'reasoning') this.onDelta({ reasoning: e.text });
      else if (e.type === 'call_start') {
        this.textArgs.set(e.index, { name: e.name, id: e.id, args: '' });
        this.onDelta({ toolCall: { index: e.index, name: e.name, arguments: '', id: e.id, origin: 'text' } });
      } else {
        const c = this.textArgs.get(e.index);
        if (!c) continue;
        c.args += e.text;
        this.onDelta({ toolCall: { index: e.index, name: c.name, arguments: c.args, id: c.id, origin: 'text', delta: e.text } });
      }
    }
  }

  /** The reply is complete. `maxTokens`: what the request allowed, for the message a cut call gets. */
  finish(finishReason: string, maxTokens: number): ReadReply {
    const end = { finishReason, maxTokens };
    const { events, ...parsed } = this.stream.end(end);
    this.forward(events);
    const native = this.nativeCalls();
    const slots = this.native.flatMap((c, i) => (c ? [i] : []));
    const reasoning = [this.serverReasoning.trim(), parsed.reasoning].filter(Boolean).join('\n\n');
    if (native.length) {
      return { content: parsed.text, reasoning, toolCalls: nativeToolCalls(native, finishReason, maxTokens, slots), toolCallErrors: [] };
    }
    const checked = checkFormat(this.raw, this.options, parsed, end);
    return { content: parsed.text, reasoning, toolCalls: checked.calls, toolCallErrors: checked.errors };
  }
}

/**
 * The server's calls as parsed calls. An unknown name is kept (the orchestrator is told the valid
 * tools); arguments that do not read are a problem, and at the token limit the last call is cut.
 */
export function nativeToolCalls(calls: NativeCall[], finishReason: string, maxTokens: number, slots?: number[]): ParsedToolCall[] {
  const ids = new Set<string>();
  return calls.map((c, k) => {
    let id = c.id || newToolCallId();
    if (ids.has(id)) id = `${id}_${k}`;
    ids.add(id);
    const base = { id, name: c.name, rawArguments: c.arguments, source: 'native' as const, streamIndex: slots?.[k] ?? k };
    if (!c.name)
      return {
        ...base,
        arguments: {},
        problem: { kind: 'unreadable' as const, message: `not run: a tool call without a name (arguments: ${c.arguments.slice(0, 160)})` },
      };
    const cut = finishReason === 'length' && k === calls.length - 1;
    const parsed = c.arguments.trim() ? repairJson(c.arguments) : { value: {} };
    if (parsed && typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value))
      return { ...base, arguments: parsed.value as Record<string, unknown> };
    const message = cut
      ? `not run: the reply reached the max-token limit (${maxTokens} tokens) in the middle of the call to "${c.name}", so the call is incomplete. Write the call again in full, with shorter arguments (split large content over several calls).`
      : `not run: the arguments of "${c.name}" are not a valid JSON object: ${c.arguments.slice(0, 160)}`;
    return { ...base, arguments: {}, problem: { kind: cut ? ('cut' as const) : ('unreadable' as const), message } };
  });
}

/** Each offered tool's parameter schema, by name (text values are typed by it). */
export function schemasOf(tools: OpenAI.Chat.ChatCompletionTool[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const t of tools ?? []) if (t.type === 'function') out[t.function.name] = t.function.parameters;
  return out;
}

export type { ToolCallFormat };
