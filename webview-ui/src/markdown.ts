// Markdown for answers, in one place for the panel's views: markdown-it (raw HTML off, caps against
// pathological input, markdown-engine.ts) then DOMPurify (markdown-dom.ts), code highlighted by a small
// highlight.js core. Streamed answers render incrementally (markdown-stream.ts): finished blocks once,
// only the open part per frame.
export { highlightCode } from './highlight';
export { StreamingMarkdown } from './markdown-stream';
export type { MarkdownStats } from './markdown-incremental';
