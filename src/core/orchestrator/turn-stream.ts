// One general-dialect orchestrator turn as the user watches it stream. Reasoning (the server's
// reasoning field, <think> blocks) goes to the turn's reasoning row (`orchestrator_delta`). At the
// top level the reply's text streams into the answer area (`answer_delta`), because a reply without
// a tool call is the final answer; when a tool call follows after all, the text is taken back from
// the answer area and moved to the reasoning row, and the `answer` tool's argument streams instead.
import type { ChatDelta } from '../pool';
import type { TaskTree } from './task-tree';
import { partialJsonStringField, streamingReplyText } from './partial-text';
import { WholeTokens } from './whole-tokens';

export class TurnStream {
  private content = '';
  private thinkingSent = '';
  /** The reply's text was moved to the reasoning row (a tool call came). */
  private demoted = false;
  /** The `answer` tool's arguments as they arrive, once it is being called. */
  private answerArgs: string | undefined;
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
        this.feed();
      }
    }
    if (this.topLevel && d.toolCall) {
      this.demote();
      if (d.toolCall.name === 'answer') {
        this.answerArgs = d.toolCall.arguments;
        const text = partialJsonStringField(this.answerArgs, 'answer');
        if (text) this.tree.answerStream.update(text);
      }
    }
  }

  /** A retry or fallback starts the reply over: what the failed attempt streamed is taken back. */
  onRetry(): void {
    // What the failed attempt reasoned stays in its row; its last token is complete as far as it goes.
    this.thinking.flush();
    if (!this.topLevel) return;
    if (!this.demoted) this.tree.answerStream.retract();
    this.content = '';
    this.thinkingSent = '';
    this.demoted = false;
    this.answerArgs = undefined;
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

  private feed(): void {
    const { visible, thinking } = streamingReplyText(this.content);
    if (thinking !== this.thinkingSent) {
      this.reasoning(thinking.startsWith(this.thinkingSent) ? thinking.slice(this.thinkingSent.length) : `\n${thinking}`);
      this.thinkingSent = thinking;
    }
    // The answer is trimmed at the end; so is what streams of it, at its start.
    if (!this.demoted) this.tree.answerStream.update(visible.replace(/^\s+/, ''));
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
