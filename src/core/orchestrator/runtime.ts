// The harness both dialects share, gathered in one import: the task tree (task-tree.ts), scopes and
// their model and tool calls (scope.ts, model-call.ts, tool-call.ts), observations, the streamed answer
// (answer-stream.ts, partial-text.ts), what a call may spend and what it cost (accounting.ts, with
// prompts counted by tokens/counter.ts) and tool schemas (schemas.ts).
export { TaskFailure, TaskTree, CANCELLED_BY_USER, UNNAMED_CALL, abortFailure, raceAbort } from './task-tree';
export type { EventBody, TaskEndCode, TaskTreeOptions } from './task-tree';
export { Scope } from './scope';
export type { CallMeter, ScopeOptions } from './scope';
export type { FailedCallState, ModelCallOptions, ModelCallOutcome, ModelCallScope } from './model-call';
export { executeToolCall } from './tool-call';
export type { ToolCallScope } from './tool-call';
export { observationText } from './observations';
export type { Observation } from './observations';
export { AnswerStream } from './answer-stream';
export { boundedUsage, planCall, settleUsage, unpricedOf } from './accounting';
export { paddedPromptTokens, promptTokenBound } from '../tokens/counter';
export { formatZodError, jsonSchemaOf, toOpenAITools } from './schemas';
export { estimateTokens } from '../pool';
