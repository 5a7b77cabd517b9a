// The task's final answer as it streams: `AnswerStream` sends `answer_delta` events made of whole
// words only, and only text that extends what was already sent. What the dialects feed it comes
// from partial-text.ts (the answer tool's JSON, or <answer> tags, read while still arriving).
/**
 * The final answer streamed as `answer_delta` events while the model writing it streams. Only text
 * that extends what was already sent goes out, so a retried or diverging stream never garbles it;
 * `finish` sends whatever the final answer adds (all of it when nothing streamed). The `done` event
 * carries the whole answer and stays authoritative.
 */
export class AnswerStream {
  private streamed = '';
  constructor(private readonly send: (text: string) => void) {}

  /** `visible` is the whole answer text known so far. */
  update(visibleSoFar: string): void {
    // Only whole words go out: secrets are scrubbed event by event, so a key must never be split
    // across two deltas. The word still arriving waits for the next piece (or `finish`).
    const lastSpace = Math.max(visibleSoFar.lastIndexOf(' '), visibleSoFar.lastIndexOf('\n'), visibleSoFar.lastIndexOf('\t'));
    const visible = visibleSoFar.slice(0, lastSpace + 1);
    if (visible.length > this.streamed.length && visible.startsWith(this.streamed)) {
      const delta = visible.slice(this.streamed.length);
      this.streamed = visible;
      this.send(delta);
    }
  }

  finish(answer: string): void {
    if (answer.length > this.streamed.length && answer.startsWith(this.streamed)) this.send(answer.slice(this.streamed.length));
    this.streamed = answer;
  }
}
