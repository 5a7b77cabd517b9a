// VS Code's language models (Copilot's, or any extension's chat provider) as Orchestra pool members:
// listed for the engine with what the provider says (vendor, family, input limit) and what the user
// says in `orchestra.languageModels.overrides` (user settings only), and the engine's calls on them
// run here with `LanguageModelChat.sendRequest`, streamed back as deltas, cancellable, and their
// consent and quota errors passed on by kind.
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { LanguageModelOverride } from '../core/config';
import { matchesAny } from '../core/preferences';
import type {
  HostChatDeltaParams,
  HostChatErrorData,
  HostChatMessage,
  HostChatParams,
  HostChatResult,
  HostModel,
} from '../protocol/engine-rpc';

/** What the Language Model API does not tell about output length. */
const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
/** The consent dialog VS Code shows names this reason. */
const JUSTIFICATION = 'Orchestra sends a subtask of your question to this model (under your privacy and budget settings).';
/** How long the engine's first configuration waits for VS Code to list its language models. */
const LIST_WAIT_MS = 5000;
/** JSON-RPC error code of a failed host call (the `data.kind` says why). */
const HOST_CALL_FAILED = -32001;

/** The pool id of a language model: `lm:<vendor>:<id>`, with characters the pool does not allow replaced. */
export function poolIdOf(vendor: string, id: string): string {
  return `lm:${vendor}:${id}`.replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 200);
}

/** The user's overrides, from user settings only: a workspace must not mark a remote model local. */
function userOverrides(log: vscode.LogOutputChannel): { enabled: boolean; overrides: LanguageModelOverride[] } {
  const section = vscode.workspace.getConfiguration('orchestra.languageModels');
  const enabled = section.inspect<boolean>('enabled')?.globalValue ?? true;
  const raw = section.inspect<unknown[]>('overrides')?.globalValue ?? [];
  const overrides: LanguageModelOverride[] = [];
  (Array.isArray(raw) ? raw : []).forEach((o, i) => {
    const r = LanguageModelOverride.safeParse(o);
    if (r.success) overrides.push(r.data);
    else log.warn(`setting orchestra.languageModels.overrides[${i}] ignored: ${r.error.issues.map((x) => x.message).join('; ')}`);
  });
  return { enabled: enabled !== false, overrides };
}

/** One language model as a pool member: the provider's facts, then the user's overrides (last match wins). */
export function hostModelOf(m: vscode.LanguageModelChat, overrides: readonly LanguageModelOverride[]): HostModel {
  const id = poolIdOf(m.vendor, m.id);
  const o: Partial<LanguageModelOverride> = {};
  for (const x of overrides) if (matchesAny([x.match], [id])) Object.assign(o, x);
  const priced = o.inputPricePerMillion !== undefined || o.outputPricePerMillion !== undefined;
  // Tool calling is reported at run time (not yet in the typed API); assumed when not said.
  const toolCalling = (m as { capabilities?: { supportsToolCalling?: boolean } }).capabilities?.supportsToolCalling ?? true;
  return {
    id,
    hostModelId: m.id,
    vendor: m.vendor,
    family: m.family,
    version: m.version,
    name: m.name,
    contextWindow: Math.max(1, m.maxInputTokens),
    maxOutputTokens: o.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    toolCalling,
    local: o.local ?? false,
    openWeights: o.openWeights ?? false,
    roles: o.roles ?? ['general'],
    description: o.description ?? '',
    // Copilot's models are covered by the user's Copilot plan; other providers state no price.
    pricing: priced ? 'listed' : m.vendor === 'copilot' ? 'subscription' : 'unknown',
    inputPricePerMillion: o.inputPricePerMillion ?? 0,
    outputPricePerMillion: o.outputPricePerMillion ?? 0,
  };
}

export class LanguageModels implements vscode.Disposable {
  private models: HostModel[] = [];
  private loaded: Promise<void> | undefined;
  private listed = false;
  private notifyFirstList = false;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[];
  /** Fires when the list of models (or the overrides) changed. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.subscriptions = [
      this.changed,
      vscode.lm.onDidChangeChatModels(() => void this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('orchestra.languageModels')) void this.refresh();
      }),
    ];
  }

  /** The models for the engine, read once on first use and kept current after. */
  async current(): Promise<HostModel[]> {
    this.loaded ??= this.refresh(false);
    // A provider slow to answer must not hold up the engine: its models join when they are listed.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, LIST_WAIT_MS)));
    await Promise.race([
      this.loaded.then(() => {
        this.listed = true;
      }),
      late,
    ]);
    clearTimeout(timer);
    // Listed late: the change event brings them to the engine when they are.
    if (!this.listed) this.notifyFirstList = true;
    return this.models;
  }

  private async refresh(notify = true): Promise<void> {
    const { enabled, overrides } = userOverrides(this.log);
    let next: HostModel[] = [];
    if (enabled) {
      try {
        next = (await vscode.lm.selectChatModels()).map((m) => hostModelOf(m, overrides));
      } catch (err) {
        this.log.warn(`could not list VS Code's language models: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const before = JSON.stringify(this.models);
    this.models = next;
    if (JSON.stringify(next) === before) return;
    this.log.info(
      next.length
        ? `VS Code language models in the pool: ${next.map((m) => `${m.id} (${m.name}, ${m.pricing === 'listed' ? 'priced' : m.pricing})`).join(', ')}`
        : 'no VS Code language models in the pool',
    );
    if (notify || this.notifyFirstList) this.changed.fire();
    this.notifyFirstList = false;
  }

  /** Runs one engine call on a language model; `sendDelta` streams its reply back in order. */
  async chat(
    params: HostChatParams,
    token: vscode.CancellationToken,
    sendDelta: (d: HostChatDeltaParams['delta']) => void,
  ): Promise<HostChatResult> {
    const [model] = await vscode.lm.selectChatModels({ vendor: params.vendor, id: params.hostModelId });
    if (!model)
      throw failure(`the language model ${params.vendor}/${params.hostModelId} is not available in VS Code any more`, 'not_found');
    const tools =
      params.toolChoice === 'none'
        ? undefined
        : params.tools
            ?.filter((t) => typeof params.toolChoice !== 'object' || t.function.name === params.toolChoice.name)
            .map((t) => ({
              name: t.function.name,
              description: t.function.description ?? '',
              inputSchema: (t.function.parameters as object | undefined) ?? { type: 'object', properties: {} },
            }));
    const options: vscode.LanguageModelChatRequestOptions = {
      justification: JUSTIFICATION,
      ...(tools?.length
        ? {
            tools,
            toolMode:
              params.toolChoice === 'required' || typeof params.toolChoice === 'object'
                ? vscode.LanguageModelChatToolMode.Required
                : vscode.LanguageModelChatToolMode.Auto,
          }
        : {}),
    };
    // Cancelling the engine's request cancels this token, which goes to the provider with the request.
    // VS Code 1.105 forwards it only until the reply has started, so the call also stops reading at once:
    // the task never waits for a provider that keeps going.
    const cancel = new vscode.CancellationTokenSource();
    const link = token.onCancellationRequested(() => cancel.cancel());
    const cancelled = new Promise<'cancelled'>((resolve) => cancel.token.onCancellationRequested(() => resolve('cancelled')));
    try {
      const response = await model.sendRequest(toLanguageModelMessages(params.messages), options, cancel.token);
      const parts = response.stream[Symbol.asyncIterator]();
      for (;;) {
        const next = await Promise.race([parts.next(), cancelled]);
        if (next === 'cancelled') {
          void parts.return?.();
          break;
        }
        if (next.done) break;
        const part = next.value;
        if (part instanceof vscode.LanguageModelTextPart) sendDelta({ content: part.value });
        else if (part instanceof vscode.LanguageModelToolCallPart)
          sendDelta({ toolCall: { id: part.callId, name: part.name, arguments: JSON.stringify(part.input ?? {}) } });
      }
    } catch (err) {
      if (token.isCancellationRequested) throw failure('cancelled', 'cancelled');
      throw failureOf(err);
    } finally {
      link.dispose();
      cancel.dispose();
    }
    if (token.isCancellationRequested) throw failure('cancelled', 'cancelled');
    return {};
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}

function failure(message: string, kind: HostChatErrorData['kind']): ResponseError<HostChatErrorData> {
  return new ResponseError(HOST_CALL_FAILED, message, { kind });
}

/** A LanguageModelError by its code: consent, quota/blocked, not found; anything else as failed. */
function failureOf(err: unknown): ResponseError<HostChatErrorData> {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof vscode.LanguageModelError) {
    if (err.code === vscode.LanguageModelError.NoPermissions.name) return failure(message || 'no permission', 'no_permissions');
    if (err.code === vscode.LanguageModelError.Blocked.name) return failure(message || 'blocked', 'blocked');
    if (err.code === vscode.LanguageModelError.NotFound.name) return failure(message || 'not found', 'not_found');
  }
  return failure(message, 'failed');
}

function textOf(content: HostChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((p) => (typeof p.text === 'string' ? p.text : '')).join('');
}

/**
 * OpenAI-style messages as Language Model API messages. The final API has no system role: system
 * text goes first as a user message. Tool results are user messages holding a tool result part.
 */
export function toLanguageModelMessages(messages: readonly HostChatMessage[]): vscode.LanguageModelChatMessage[] {
  const out: vscode.LanguageModelChatMessage[] = [];
  for (const m of messages) {
    const text = textOf(m.content);
    if (m.role === 'system' || m.role === 'developer' || m.role === 'user') {
      if (text) out.push(vscode.LanguageModelChatMessage.User(text));
    } else if (m.role === 'assistant') {
      const parts: Array<vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart> = [];
      if (text) parts.push(new vscode.LanguageModelTextPart(text));
      for (const c of m.tool_calls ?? [])
        parts.push(new vscode.LanguageModelToolCallPart(c.id, c.function.name, parseArgs(c.function.arguments)));
      if (parts.length) out.push(vscode.LanguageModelChatMessage.Assistant(parts));
    } else if (m.role === 'tool') {
      out.push(
        vscode.LanguageModelChatMessage.User([
          new vscode.LanguageModelToolResultPart(m.tool_call_id ?? '', [new vscode.LanguageModelTextPart(text)]),
        ]),
      );
    }
  }
  return out;
}

function parseArgs(text: string): object {
  try {
    const v: unknown = JSON.parse(text || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? v : { value: v };
  } catch {
    return { raw: text };
  }
}
