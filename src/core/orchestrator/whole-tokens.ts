// Streamed text that goes out in whole tokens. Secrets are scrubbed event by event, so a key must
// never be split across two deltas: text goes out up to the last character that cannot be inside a
// key, and the token still arriving waits for the next piece or for the stream's end (`flush`).

/** Characters no API key contains: a key ends before one of them. */
const TOKEN_END = /[\s"'`,:;=(){}[\]<>]/;
/** A run without any such character longer than this is no key: it goes out rather than wait for the end. */
const MAX_HELD = 4096;

/** Where `text` may be cut: after its last token end (0: nothing yet; all of it past MAX_HELD). */
export function wholeTokensUpTo(text: string): number {
  if (text.length > MAX_HELD) return text.length;
  for (let i = text.length - 1; i >= 0; i--) if (TOKEN_END.test(text[i])) return i + 1;
  return 0;
}

/** One stream of text deltas (a reasoning row, a card's arguments or output) sent in whole tokens. */
export class WholeTokens {
  private held = '';
  private ended = false;

  constructor(private readonly send: (text: string) => void) {}

  push(piece: string): void {
    if (!piece || this.ended) return;
    const pending = this.held + piece;
    const cut = wholeTokensUpTo(pending);
    this.held = pending.slice(cut);
    if (cut > 0) this.send(pending.slice(0, cut));
  }

  /** The stream ended: the last token is whole now. */
  flush(): void {
    if (!this.held) return;
    const rest = this.held;
    this.held = '';
    this.send(rest);
  }

  /** The stream is over for good: what is held goes out, anything pushed later is dropped (e.g. a stopped tool still writing). */
  end(): void {
    this.flush();
    this.ended = true;
  }
}
