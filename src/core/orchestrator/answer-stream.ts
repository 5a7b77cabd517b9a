// The task's final answer as it streams: `AnswerStream` sends `answer_delta` events made of whole
// words only, piece by piece as the model writes them. Text taken back (a retried reply, a preamble
// that turned out to precede a tool call) is cleared with a `reset` delta; `finish` sends the final
// answer where it differs. What the dialects feed it comes from streaming-readers.ts.

/** Sends one delta: `reset` means the text replaces the answer shown so far (empty clears it). */
export type AnswerSink = (text: string, reset: boolean) => void;

/**
 * The final answer streamed as `answer_delta` events while the model writing it streams. Only whole
 * words go out; `finish` makes what was streamed equal the final answer. The `done` event carries
 * the whole answer and stays authoritative.
 */
export class AnswerStream {
  private streamed = '';
  /** Known but not sent: the word still arriving. */
  private unsent = '';
  constructor(private readonly send: AnswerSink) {}

  /**
   * `more` follows the text known so far (a piece as it streams). Costs time in the piece's length,
   * not the answer's: sending only what follows the last whitespace already known. The answer's
   * leading whitespace is left out, as the final answer is trimmed.
   */
  extend(more: string): void {
    if (!this.streamed && !this.unsent) more = more.replace(/^\s+/, '');
    if (!more) return;
    const lastSpace = Math.max(more.lastIndexOf(' '), more.lastIndexOf('\n'), more.lastIndexOf('\t'));
    if (lastSpace < 0) {
      this.unsent += more;
      return;
    }
    const words = this.unsent + more.slice(0, lastSpace + 1);
    this.unsent = more.slice(lastSpace + 1);
    this.send(words, false);
    this.streamed += words;
  }

  /** Takes back what was streamed (it was not the answer after all); returns it. */
  retract(): string {
    const was = this.streamed;
    if (was) this.send('', true);
    this.streamed = '';
    this.unsent = '';
    return was;
  }

  finish(answer: string): void {
    // The answer is trimmed; what streamed may end in the whitespace after its last word.
    if (answer.trimEnd() === this.streamed.trimEnd()) return;
    if (answer.startsWith(this.streamed)) this.send(answer.slice(this.streamed.length), false);
    else this.send(answer, true);
    this.streamed = answer;
    this.unsent = '';
  }
}
