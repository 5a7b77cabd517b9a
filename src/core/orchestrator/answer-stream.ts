// The task's final answer as it streams: `AnswerStream` sends `answer_delta` events made of whole
// words only. Text that extends what was sent goes out as a delta; text that no longer does (a
// retried reply, a preamble that turned out to precede a tool call) replaces it with a `reset`
// delta. What the dialects feed it comes from partial-text.ts.

/** Sends one delta: `reset` means the text replaces the answer shown so far (empty clears it). */
export type AnswerSink = (text: string, reset: boolean) => void;

/**
 * The final answer streamed as `answer_delta` events while the model writing it streams. Only whole
 * words go out; `finish` makes what was streamed equal the final answer. The `done` event carries
 * the whole answer and stays authoritative.
 */
export class AnswerStream {
  private streamed = '';
  constructor(private readonly send: AnswerSink) {}

  /** The text streamed so far. */
  get text(): string {
    return this.streamed;
  }

  /** `visibleSoFar` is the whole answer text known so far. */
  update(visibleSoFar: string): void {
    // Only whole words go out: secrets are scrubbed event by event, so a key must never be split
    // across two deltas. The word still arriving waits for the next piece (or `finish`).
    const lastSpace = Math.max(visibleSoFar.lastIndexOf(' '), visibleSoFar.lastIndexOf('\n'), visibleSoFar.lastIndexOf('\t'));
    const visible = visibleSoFar.slice(0, lastSpace + 1);
    if (visible === this.streamed) return;
    if (visible.startsWith(this.streamed)) this.send(visible.slice(this.streamed.length), false);
    else this.send(visible, true);
    this.streamed = visible;
  }

  /** Takes back what was streamed (it was not the answer after all); returns it. */
  retract(): string {
    const was = this.streamed;
    if (was) this.send('', true);
    this.streamed = '';
    return was;
  }

  finish(answer: string): void {
    // The answer is trimmed; what streamed may end in the whitespace after its last word.
    if (answer.trimEnd() === this.streamed.trimEnd()) return;
    if (answer.startsWith(this.streamed)) this.send(answer.slice(this.streamed.length), false);
    else this.send(answer, true);
    this.streamed = answer;
  }
}
