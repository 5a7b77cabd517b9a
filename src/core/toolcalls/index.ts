// Tool calls written as text by models whose server has no tool-call parser.
export { parseTextToolCalls, newToolCallId, matchBracket } from './parse';
export type { ParsedToolCall, ToolCallSource, ParseTextToolCallsOptions, ParseTextToolCallsResult } from './parse';
export { repairJson } from './repair-json';
