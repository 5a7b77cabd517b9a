// One general-dialect orchestrator turn as the user watches it stream. Reasoning (the server's
// reasoning field, <think> blocks) goes to the turn's reasoning row (`orchestrator_delta`). At the
// top level the reply's text streams into the answer area (`answer_delta`), because a reply without
// a tool call is the final answer; when a tool call follows after all, the text is taken back from
// the answer area and moved to the reasoning row, and the `answer` tool's argument streams instead.
import type { ChatDelta } from '../pool';
import type { TaskTree } from './task-tree';
import { streamingReplyText } from './partial-text';
import { JsonStringFieldReader, ReplyTextReader } from './streaming-readers';
import { WholeTokens } from './whole-tokens';

export class TurnStream {
  /** The reply's whole text, read again only when it is demoted (once a turn). */
  private content = '';
  /** The reply's text as it streams, read piece by piece (reading it whole each time was quadratic). */
  private reader = new ReplyTextReader();
  /** The reply's text was moved to the reasoning row (a tool call came). */
  private demoted = false;
  /** The `answer` tool call being streamed (its stream key) and its `answer` argument as it arrives. */
  private answerCall: { key: string; reader: JsonStringFieldReader } | undefined;
  /** The reasoning row's text, sent in whole tokens (secrets are scrubbed event by event). */
  private readonly thinking: WholeTokens;

  constructor(
    private readonly tree: TaskTree,
    turn: number,
    parentCallId: string | undefined,
    /** The task's own orchestration (not a subtask): only its text can be the task's answer. */
    private readonly topLevel: boolean,
  ) {
    this.thinking = new WholeTokens((text) => tree.emit({ type: 'orchestrator_delta', turn, text, parentCallId }));
  }

  onDelta(d: ChatDelta): void {
    if (d.reasoning) this.reasoning(d.reasoning);
    if (d.content) {
      if (!this.topLevel) this.reasoning(d.content);
      else {
        this.content += d.content;
        this.feed(d.content);
      }
    }
    if (this.topLevel && d.toolCall) {
      this.demote();
      const key = `${d.toolCall.origin}:${d.toolCall.index}`;
      if (d.toolCall.name === 'answer' && !this.answerCall) this.answerCall = { key, reader: new JsonStringFieldReader('answer') };
      if (this.answerCall?.key === key) {
        const text = this.answerCall.reader.push(d.toolCall.delta ?? '');
        if (text) this.tree.answerStream.extend(text);
      }
    }
  }

  /** A retry or fallback starts the reply over: what the failed attempt streamed is taken back. */
  onRetry(): void {
    // What the failed attempt reasoned stays in its row; its last token is complete as far as it goes.
    this.thinking.flush();
    if (!this.topLevel) return;
    if (!this.demoted || this.answerCall) this.tree.answerStream.retract();
    this.content = '';
    this.reader = new ReplyTextReader();
    this.demoted = false;
    this.answerCall = undefined;
  }

  /** The reply is complete: text that came before a tool call (or a call that could not be parsed) was not the answer. */
  settle(reply: { toolCalls: unknown[]; toolCallErrors: string[] }): void {
    if (this.topLevel && (reply.toolCalls.length || reply.toolCallErrors.length)) this.demote();
    this.thinking.flush();
  }

  /** The turn ended without a reply (failed, stopped): what is held of the reasoning goes out. */
  end(): void {
    this.thinking.flush();
  }

  private feed(piece: string): void {
    const { visible, reset, thinking } = this.reader.push(piece);
    if (thinking) this.reasoning(thinking);
    if (this.demoted) return;
    if (reset) this.tree.answerStream.retract();
    if (visible) this.tree.answerStream.extend(visible);
  }

  private demote(): void {
    if (this.demoted) return;
    this.demoted = true;
    this.tree.answerStream.retract();
    const { visible } = streamingReplyText(this.content);
    if (visible.trim()) this.reasoning(visible);
  }

  private reasoning(text: string): void {
    this.thinking.push(text);
  }
}
