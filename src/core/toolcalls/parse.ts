// Reading a whole reply at once (the scanner fed in one piece), and the check that an explicitly
// set format is the one the model wrote: calls in another format are reported, never run silently.
import type { EndInfo, ParseOptions, ParseResult } from './types';
import { ToolCallStream } from './stream';

export function parseToolCalls(text: string, options: ParseOptions = {}, end: EndInfo = {}): ParseResult {
  const stream = new ToolCallStream(options, { events: false });
  stream.push(text);
  const { events: _events, ...result } = stream.end(end);
  return checkFormat(text, options, result, end);
}

/**
 * With an explicit `format` (a format name, or `native` when the server sent no calls), a reply
 * without calls of that format is read once more in `auto`: calls found there were written in
 * another format, and that is reported as an error, naming the setting to change.
 */
export function checkFormat(text: string, options: ParseOptions, result: ParseResult, end: EndInfo = {}): ParseResult {
  const mode = options.format ?? 'auto';
  if (mode === 'auto' || options.calls === false || result.calls.length) return result;
  const stream = new ToolCallStream({ ...options, format: 'auto' }, { events: false });
  stream.push(text);
  const other = stream.end(end);
  if (!other.calls.length) return result;
  const written = other.formats.join(', ');
  return {
    ...result,
    errors: [
      ...result.errors,
      `the reply holds ${other.calls.length} tool call(s) written as ${written}, but this model's toolCallFormat is "${mode}", so they were not run; set its toolCallFormat to "${other.formats[0]}" or "auto"`,
    ],
  };
}
