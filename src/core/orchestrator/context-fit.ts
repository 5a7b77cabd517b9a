// Keeping what the orchestrator is sent inside its context window. Before each turn the messages are
// counted in the model's tokens; when they would leave too little room for the reply, long tool
// results are shortened (oldest first, each with a note), then the earlier turns of the conversation
// are summarised by a model the preferences allow (a call like any other: counted in the budget,
// shown as a card), and as a last resort left out with a note. The turn reports what it uses.
import type OpenAI from 'openai';
import { z } from 'zod';
import type { PoolModel } from '../pool';
import { defineTool, type ToolResult } from '../tools/tool';
import { rankModels } from '../preferences';
import { MIN_ANSWER_TOKENS } from '../budget';
import type { Scope } from './scope';

type Message = OpenAI.Chat.ChatCompletionMessageParam;

/** Where the conversation's earlier turns sit in the messages, and whether they were summarised. */
export interface HistoryState {
  start: number;
  end: number;
  summarized: boolean;
}

/** Room kept for the reply: the model's output cap, within a quarter of the window and at least a few answers' worth. */
export function replyReserve(model: PoolModel): number {
  return Math.max(MIN_ANSWER_TOKENS * 4, Math.min(model.maxOutputTokens, Math.floor(model.contextWindow / 4)));
}

const SHORTEN_STEPS = [4000, 1000, 200];
const SUMMARY_MAX_TOKENS = 800;
const SUMMARY_SYSTEM =
  'Summarise the conversation below for an assistant who will continue it. Keep every fact, number, file name, decision and open question the user may refer to; drop pleasantries. Write at most 300 words.';

function shorten(text: string, cap: number): string {
  if (text.length <= cap) return text;
  return `${text.slice(0, cap)}\n[shortened to fit the context window: ${text.length - cap} more characters not shown]`;
}

/**
 * Fits `messages` (changed in place, so what was shortened stays shortened and the prompt prefix
 * stays stable) to the window of `model`. Returns the prompt tokens and the window.
 */
export async function fitContext(
  scope: Scope,
  o: { model: PoolModel; messages: Message[]; tools?: unknown[]; turn: number; history: HistoryState },
): Promise<{ tokens: number; window: number }> {
  const counter = scope.tree.tokenCounter;
  const { model, messages, tools, history } = o;
  const limit = model.contextWindow - replyReserve(model);
  const count = () => counter.count(model, messages, tools);
  let tokens = count();
  if (tokens <= limit) return { tokens, window: model.contextWindow };

  // 1. Long tool results, oldest first.
  for (const cap of SHORTEN_STEPS) {
    for (const m of messages) {
      if (m.role !== 'tool' || typeof m.content !== 'string' || m.content.length <= cap) continue;
      m.content = shorten(m.content, cap);
      tokens = count();
      if (tokens <= limit) return { tokens, window: model.contextWindow };
    }
  }
  // 2. The conversation's earlier turns, summarised once.
  const historyCount = history.end - history.start;
  if (historyCount > 0 && !history.summarized) {
    const text = messages
      .slice(history.start, history.end)
      .map((m) => `${m.role === 'user' ? 'User' : 'Assistant'}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`)
      .join('\n\n');
    const summary = await summarizeHistory(scope, text, o.turn, model);
    history.summarized = true;
    const replacement: Message[] = summary
      ? [{ role: 'user', content: `[Summary of the earlier conversation, shortened to fit the context window]\n${summary}` }]
      : [];
    messages.splice(history.start, historyCount, ...replacement);
    history.end = history.start + replacement.length;
    tokens = count();
    if (tokens <= limit) return { tokens, window: model.contextWindow };
  }
  // 3. Without them.
  if (history.end > history.start) {
    messages.splice(history.start, history.end - history.start, {
      role: 'user',
      content: '[The earlier conversation was left out: it does not fit the context window.]',
    });
    history.end = history.start + 1;
    tokens = count();
  }
  return { tokens, window: model.contextWindow };
}

const SummaryArgs = z.object({ characters: z.number() });

/** Summarises `text` with the model the preferences rank first among those whose window holds it. */
async function summarizeHistory(scope: Scope, text: string, turn: number, orchestrator: PoolModel): Promise<string | undefined> {
  const tree = scope.tree;
  const candidates = tree.pool.all().filter((m) => tree.modelVerdict(m).eligible && m.roles.some((r) => r !== 'orchestrator'));
  const ranked = [...rankModels(candidates, scope.config), orchestrator];
  const fits = (m: PoolModel, body: string) =>
    tree.tokenCounter.count(m, [
      { role: 'system', content: SUMMARY_SYSTEM },
      { role: 'user', content: body },
    ]) +
      SUMMARY_MAX_TOKENS <=
    m.contextWindow;
  let model = ranked.find((m) => fits(m, text));
  let body = text;
  if (!model) {
    // Even the whole history is too long to summarise at once: keep its most recent part.
    model = [...ranked].sort((a, b) => b.contextWindow - a.contextWindow)[0];
    const chars = Math.max(1000, (model.contextWindow - SUMMARY_MAX_TOKENS - 500) * 3);
    body = `[earlier part cut]\n${text.slice(-chars)}`;
  }
  const chosen = model;
  const tool = defineTool({
    name: 'summarize_context',
    description: 'Summarises the earlier conversation to fit the context window.',
    schema: SummaryArgs,
    kind: 'model',
    destination: () => (chosen.local ? 'local' : { host: chosen.host }),
    async run(_args, ctx): Promise<ToolResult> {
      const meter = scope.meter(ctx.callId);
      meter.model = chosen.id;
      const outcome = await scope.callModel(
        chosen.id,
        {
          messages: [
            { role: 'system', content: SUMMARY_SYSTEM },
            { role: 'user', content: body },
          ],
          maxTokens: SUMMARY_MAX_TOKENS,
        },
        { callId: ctx.callId, turn, purpose: 'summarize_context', signal: ctx.signal, fallback: true },
      );
      meter.parts.push(...outcome.parts);
      for (const h of outcome.remoteHosts) meter.remoteHosts.add(h);
      if (!outcome.ok) return { ok: false, state: outcome.state, output: '', error: outcome.message };
      return { ok: true, output: outcome.result.content.trim() };
    },
  });
  const [ob] = await scope.executeCalls(
    [{ id: 'summary', name: tool.name, arguments: { characters: text.length }, rawArguments: '', source: 'native' }],
    turn,
    new Map([[tool.name, tool]]),
    { group: 'summary' },
  );
  return ob.state === 'ok' && ob.output ? ob.output : undefined;
}
