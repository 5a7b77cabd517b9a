// In-page harness of the Markdown bench (bundled for the browser by bench/run.mjs): streams an answer
// through the panel's StreamingMarkdown and times every piece of work it does (the calls made as text
// arrives, and the frames it schedules itself to finish), layout included; and times one whole render
// of the same text, the least any renderer must do.
import { cleanText } from '../../webview-ui/src/format';
import { sanitizeMarkdownHtml } from '../../webview-ui/src/markdown-dom';
import { renderHtml } from '../../webview-ui/src/markdown-engine';
import { StreamingMarkdown } from '../../webview-ui/src/markdown-stream';

interface Timing {
  totalMs: number;
  worstMs: number;
  slices: number;
}

const host = document.createElement('div');
host.className = 'answer';
document.body.append(host);

let timing: Timing = { totalMs: 0, worstMs: 0, slices: 0 };
function timed(fn: () => void): void {
  const t0 = performance.now();
  fn();
  void host.offsetHeight; // the layout the change causes belongs to it
  const dt = performance.now() - t0;
  timing.totalMs += dt;
  timing.worstMs = Math.max(timing.worstMs, dt);
  timing.slices++;
}

// The renderer finishes on frames it asks for itself; those are timed too.
const raf = window.requestAnimationFrame.bind(window);
const timeout = window.setTimeout.bind(window);
window.requestAnimationFrame = (cb: FrameRequestCallback): number => raf((t) => timed(() => cb(t)));
window.setTimeout = ((cb: () => void, ms?: number) => timeout(() => timed(cb), ms)) as typeof window.setTimeout;
const nextFrame = (): Promise<void> => new Promise((r) => raf(() => timeout(r, 0)));

async function streamed(answer: string, perFrame: number): Promise<Timing> {
  host.replaceChildren();
  timing = { totalMs: 0, worstMs: 0, slices: 0 };
  const sm = new StreamingMarkdown('answer-body', { streamingRenders: 0, fullRenders: 0, maxStreamingParseChars: 0 });
  host.append(sm.element);
  for (let at = perFrame; at < answer.length + perFrame; at += perFrame) {
    const text = answer.slice(0, Math.min(at, answer.length));
    timed(() => sm.update(text));
    await nextFrame();
  }
  timed(() => sm.finish(answer));
  while (sm.element.hasAttribute('data-rendering')) await nextFrame();
  return timing;
}

function whole(answer: string): Timing {
  host.replaceChildren();
  timing = { totalMs: 0, worstMs: 0, slices: 0 };
  timed(() => host.append(sanitizeMarkdownHtml(renderHtml(cleanText(answer), {}, { highlight: true }))));
  return timing;
}

(window as unknown as { __mdBench: unknown }).__mdBench = { streamed, whole };
