// Tool calls written as text by models whose server does not parse them: one module per format
// family under formats/, a streaming scanner that dispatches to them (stream.ts), and the catalog
// of formats with how each model family is recognised (catalog.ts).
export { ToolCallStream } from './stream';
export { parseToolCalls, checkFormat } from './parse';
export { newToolCallId } from './ids';
export { repairJson } from './repair-json';
export { TOOL_CALL_FORMATS } from './types';
export type { CallProblem, EndInfo, ParseOptions, ParseResult, ParsedToolCall, StreamEvent, ToolCallFormat, ToolCallSource } from './types';
export { CATALOG, formatFromModelName, formatFromTemplate } from './catalog';
export type { FormatInfo } from './catalog';
