// Server-sent events of one streamed chat completion, written with few writes and few events (see
// SseWriter). The HTTP status and headers go out with the first event, so anything that fails
// before the model produced its first token still gets a proper HTTP error status.
import type * as http from 'node:http';

/** Tokens closer together than this share one write. */
const SSE_FLUSH_INTERVAL_MS = 8;

export type DeltaKind = 'content' | 'reasoning' | 'arguments';

/**
 * Writes a chat completion's server-sent events with few writes and few events: an event goes out at
 * once when nothing was written in the last SSE_FLUSH_INTERVAL_MS, and faster ones are held until
 * then and sent together. Consecutive held deltas of one kind (text, reasoning, one tool call's
 * arguments) merge into one event, as the engine's own delta coalescer does. A small model makes a
 * token every fraction of a millisecond: a write, an event to serialise and an event for the client
 * to parse per token cost more than the token itself. Slower models still get every token as soon
 * as it exists. Chunk JSON is assembled around a per-request prefix instead of re-serialising the
 * same fields for every token.
 */
export class SseWriter {
  private pending = '';
  private open: { kind: DeltaKind; index: number; text: string } | undefined;
  private lastWrite = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  /** `data: {"id":…,"choices":[{"index":0,"delta":` — every chunk of this response starts so. */
  private readonly prefix: string;

  constructor(
    private readonly res: http.ServerResponse,
    private readonly requestId: string,
    model: string,
    created: number,
  ) {
    this.prefix = `data: {"id":${JSON.stringify(requestId)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":[{"index":0,"delta":`;
  }

  private chunk(deltaJson: string, finishReason: string | null): string {
    return `${this.prefix}${deltaJson},"logprobs":null,"finish_reason":${finishReason === null ? 'null' : JSON.stringify(finishReason)}}]}\n\n`;
  }

  private opened = false;

  /** Whether the stream has begun (status 200 and the first event are on their way). */
  get started(): boolean {
    return this.opened;
  }

  /**
   * The opening event (status, headers and role), queued with the first output: until the model has
   * produced something, a failure (a prompt too long, a model that cannot load) can still be
   * answered with an HTTP error status instead of a stream.
   */
  private start(): void {
    if (this.opened) return;
    this.opened = true;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': this.requestId,
    });
    this.pending += this.chunk('{"role":"assistant","content":""}', null);
  }

  /** A piece of text, reasoning or tool-call arguments; merged with the held one of the same kind. */
  delta(kind: DeltaKind, index: number, text: string): void {
    this.start();
    const open = this.open;
    if (open && open.kind === kind && open.index === index) open.text += text;
    else {
      this.closeOpen();
      this.open = { kind, index, text };
    }
    this.schedule();
  }

  /** Any other delta (a tool call's start, the finish), as its JSON. */
  event(deltaJson: string, finishReason: string | null = null): void {
    this.start();
    this.closeOpen();
    this.pending += this.chunk(deltaJson, finishReason);
    this.schedule();
  }

  /** The usage chunk (no choices). */
  usage(usage: object): void {
    this.start();
    this.closeOpen();
    this.pending += `${this.prefix.slice(0, this.prefix.indexOf('"choices":'))}"choices":[],"usage":${JSON.stringify(usage)}}\n\n`;
    this.schedule();
  }

  private closeOpen(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    const text = JSON.stringify(open.text);
    const delta =
      open.kind === 'content'
        ? `{"content":${text}}`
        : open.kind === 'reasoning'
          ? `{"reasoning_content":${text}}`
          : `{"tool_calls":[{"index":${open.index},"function":{"arguments":${text}}}]}`;
    this.pending += this.chunk(delta, null);
  }

  private schedule(): void {
    const since = performance.now() - this.lastWrite;
    if (since >= SSE_FLUSH_INTERVAL_MS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), SSE_FLUSH_INTERVAL_MS - since);
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.closeOpen();
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    if (this.res.writableEnded || this.res.destroyed) return;
    this.res.write(text);
    this.lastWrite = performance.now();
  }

  /**
   * Ends a stream that has begun with an error event (OpenAI's shape: `{"error": {…}}`), which the
   * `openai` SDK raises as an APIError; no `[DONE]` follows, so no client mistakes it for an answer.
   */
  fail(message: string, type: string, code: string | null): void {
    this.flush();
    if (this.res.writableEnded || this.res.destroyed) return;
    this.res.end(`data: ${JSON.stringify({ error: { message, type, param: null, code } })}\n\n`);
  }
}
