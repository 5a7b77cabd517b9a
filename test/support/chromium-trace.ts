// The events of a Chromium trace (Browser.stopTracing's buffer), as the webview tests and the panel
// benchmarks read them: wall and thread time of the main thread's tasks.
export interface TraceEvent {
  name: string;
  ph: string;
  /** Start, µs. */
  ts: number;
  /** Wall time, µs (complete events). */
  dur?: number;
  /** Thread (CPU) time, µs. */
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string };
}

/** The events of a trace: Chromium writes either `{traceEvents: […]}` or the bare array. */
export function traceEvents(buffer: Buffer): TraceEvent[] {
  const parsed = JSON.parse(buffer.toString('utf8')) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  return Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
}
