// Markup that is not a call but must not be shown as text: reasoning blocks (each model family has
// its own pair of tokens), special tokens a server left in the text (end-of-turn, role headers), and
// wrappers around the answer. Some wrappers are ordinary words in other contexts (`<answer>`,
// `<response>`, `all`), so they count only for the model known to write them.
import type { ToolCallFormat } from './types';

export interface ReasoningPair {
  open: string;
  close: string;
}

export const REASONING_PAIRS: readonly ReasoningPair[] = [
  { open: '<think>', close: '</think>' },
  { open: '<thinking>', close: '</thinking>' },
  { open: '<seed:think>', close: '</seed:think>' },
  { open: '<|START_THINKING|>', close: '<|END_THINKING|>' },
  { open: '<|inner_prefix|>', close: '<|inner_suffix|>' },
  { open: '[THINK]', close: '[/THINK]' },
];

/**
 * Tokens that end reasoning whose opening token was part of the prompt (a template that starts the
 * reply thinking): the text before them is reasoning. Apriel ends its reasoning with a marker too.
 */
export const REASONING_ENDS: readonly string[] = [...REASONING_PAIRS.map((p) => p.close), '[BEGIN FINAL RESPONSE]'];

/** Special tokens that carry nothing for the user. */
export const SPECIAL_TOKENS: readonly string[] = [
  '<|im_end|>',
  '<|im_start|>assistant',
  '<|im_start|>',
  '<|im_middle|>',
  '<|endoftext|>',
  '<|end_of_text|>',
  '<|eot_id|>',
  '<|eom_id|>',
  '<|end|>',
  '<|return|>',
  '<|call|>',
  '<|message|>',
  '<|constrain|>',
  '<|assistant|>',
  '<|assistant_end|>',
  '<｜end▁of▁sentence｜>',
  '<｜Assistant｜>',
  '<|END_OF_TURN_TOKEN|>',
  '<|CHATBOT_TOKEN|>',
  '<|START_RESPONSE|>',
  '<|END_RESPONSE|>',
  '[END FINAL RESPONSE]',
  '<end_of_turn>',
  '<|python_end|>',
  '<|tool_call_end|>',
  '<|tool_calls_section_end|>',
  '<|tools_suffix|>',
  '<|END_ACTION|>',
  '<|action_end|>',
  '<end_function_call>',
  '</minimax:tool_call>',
  '</seed:tool_call>',
  '</s>',
];

/** Wrappers only the named formats write; elsewhere they are words. */
export const HINTED_TOKENS: ReadonlyArray<{ token: string; formats: readonly ToolCallFormat[] }> = [
  { token: '<response>', formats: ['granite'] },
  { token: '</response>', formats: ['granite'] },
  { token: '<answer>', formats: ['hunyuan_a13b'] },
  { token: '</answer>', formats: ['hunyuan_a13b'] },
];
