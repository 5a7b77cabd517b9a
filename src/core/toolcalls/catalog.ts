// The formats Orchestra reads, as documented in docs/TOOL-CALL-FORMATS.md (a test keeps the two in
// step and parses every example here): the models that write each, the engines whose parsers define
// it, and how a model is recognised by its name or its chat template when `toolCallFormat` is `auto`.
import type { ToolCallFormat } from './types';

export interface FormatInfo {
  format: ToolCallFormat;
  models: string;
  /** Engines with a parser for it, and where that parser lives. */
  source: string;
  /** A reply in this format calling `get_weather(city: "Paris")` (some formats add a second call). */
  example: string;
}

const W = '{"city": "Paris"}';

export const CATALOG: readonly FormatInfo[] = [
  {
    format: 'hermes',
    models: 'Qwen2.5, Qwen3, QwQ, Hermes 2/3 Pro, Granite 4',
    source: 'vLLM hermes, SGLang qwen25, llama.cpp Hermes 2 Pro',
    example: `<tool_call>\n{"name": "get_weather", "arguments": ${W}}\n</tool_call>`,
  },
  {
    format: 'qwen3_coder',
    models: 'Qwen3-Coder, Nemotron-3-Nano',
    source: 'vLLM qwen3_coder / qwen3_xml, SGLang qwen3_coder, llama.cpp Qwen3-Coder XML',
    example: '<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>',
  },
  {
    format: 'glm4_moe',
    models: 'GLM-4.5, GLM-4.6',
    source: 'vLLM glm45, SGLang glm45, llama.cpp GLM 4.5',
    example: '<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>',
  },
  {
    format: 'mistral_pre_v11',
    models: 'Mistral-7B-Instruct-v0.3, Mistral-Nemo',
    source: 'vLLM mistral, SGLang mistral, llama.cpp Mistral Nemo',
    example: `[TOOL_CALLS][{"name": "get_weather", "arguments": ${W}, "id": "a1B2c3D4e"}]`,
  },
  {
    format: 'mistral_v11',
    models: 'Mistral-Small-3.1/3.2 (tokenizer v11)',
    source: 'vLLM mistral',
    example: `[TOOL_CALLS]get_weather${W}`,
  },
  {
    format: 'mistral_args',
    models: 'Magistral, Devstral, Ministral 3 (tokenizer v13)',
    source: 'llama.cpp Magistral / Ministral',
    example: `[TOOL_CALLS]get_weather[CALL_ID]a1B2c3D4e[ARGS]${W}`,
  },
  {
    format: 'llama3_json',
    models: 'Llama 3.1 / 3.2 / 3.3 Instruct',
    source: 'vLLM llama3_json, SGLang llama3, llama.cpp Llama 3.x',
    example: `<|python_tag|>{"name": "get_weather", "parameters": ${W}}`,
  },
  {
    format: 'llama3_builtin',
    models: 'Llama 3.1 / 3.3 with built-in tools',
    source: 'llama.cpp Llama 3.x with built-in tools',
    example: '<|python_tag|>get_weather.call(city="Paris")',
  },
  {
    format: 'llama4_pythonic',
    models: 'Llama 4 Scout / Maverick',
    source: 'vLLM llama4_pythonic',
    example: '<|python_start|>[get_weather(city="Paris")]<|python_end|>',
  },
  {
    format: 'pythonic',
    models: 'Llama 3.2 (pythonic template), ToolACE',
    source: 'vLLM pythonic, SGLang pythonic',
    example: '[get_weather(city="Paris")]',
  },
  {
    format: 'deepseek_v3',
    models: 'DeepSeek-V3, DeepSeek-R1 and its distills',
    source: 'vLLM deepseek_v3, SGLang deepseekv3, llama.cpp DeepSeek R1',
    example: `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n\`\`\`json\n${W}\n\`\`\`<｜tool▁call▁end｜><｜tool▁calls▁end｜>`,
  },
  {
    format: 'deepseek_v31',
    models: 'DeepSeek-V3.1',
    source: 'vLLM deepseek_v31, SGLang deepseekv31, llama.cpp DeepSeek V3.1',
    example: `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>${W}<｜tool▁call▁end｜><｜tool▁calls▁end｜>`,
  },
  {
    format: 'kimi_k2',
    models: 'Kimi K2 Instruct / Thinking',
    source: 'vLLM kimi_k2, SGLang kimi_k2, llama.cpp Kimi K2',
    example: `<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>${W}<|tool_call_end|><|tool_calls_section_end|>`,
  },
  {
    format: 'minimax_m1',
    models: 'MiniMax-M1',
    source: 'vLLM minimax',
    example: `<tool_calls>\n{"name": "get_weather", "arguments": ${W}}\n</tool_calls>`,
  },
  {
    format: 'minimax_m2',
    models: 'MiniMax-M2',
    source: 'vLLM minimax_m2, SGLang minimax-m2, llama.cpp MiniMax-M2',
    example: '<minimax:tool_call>\n<invoke name="get_weather">\n<parameter name="city">Paris</parameter>\n</invoke>\n</minimax:tool_call>',
  },
  {
    format: 'granite',
    models: 'IBM Granite 3.0 – 3.3, Granite 20B FC',
    source: 'vLLM granite / granite-20b-fc, llama.cpp Granite',
    example: `<|tool_call|>[{"name": "get_weather", "arguments": ${W}}]`,
  },
  {
    format: 'internlm2',
    models: 'InternLM2 / InternLM2.5',
    source: 'vLLM internlm, SGLang internlm',
    example: `<|action_start|><|plugin|>\n{"name": "get_weather", "parameters": ${W}}<|action_end|>`,
  },
  {
    format: 'jamba',
    models: 'AI21 Jamba 1.5 / 1.6',
    source: 'vLLM jamba',
    example: `<tool_calls>[{"name": "get_weather", "arguments": ${W}}]</tool_calls>`,
  },
  {
    format: 'hunyuan_a13b',
    models: 'Tencent Hunyuan-A13B',
    source: 'vLLM hunyuan_a13b, SGLang hunyuan',
    example: `<tool_calls>[{"name": "get_weather", "arguments": ${W}}]</tool_calls>`,
  },
  {
    format: 'apriel',
    models: 'ServiceNow Apriel 1.5',
    source: 'llama.cpp Apriel 1.5',
    example: `<tool_calls>[{"name": "get_weather", "arguments": ${W}}]</tool_calls>`,
  },
  {
    format: 'phi4_mini_functools',
    models: 'Phi-4-mini',
    source: 'vLLM phi4_mini_json',
    example: `functools[{"name": "get_weather", "arguments": ${W}}]`,
  },
  {
    format: 'firefunction_v2',
    models: 'FireFunction v2',
    source: 'llama.cpp FireFunction v2',
    example: ` functools[{"name": "get_weather", "arguments": ${W}}]`,
  },
  { format: 'xlam', models: 'Salesforce xLAM-2', source: 'vLLM xlam', example: `[{"name": "get_weather", "arguments": ${W}}]` },
  {
    format: 'json_array',
    models: 'any model under tool_choice "required" or a JSON schema',
    source: 'SGLang json_array',
    example: `[{"name": "get_weather", "parameters": ${W}}]`,
  },
  {
    format: 'functionary_v3_1',
    models: 'Functionary medium v3.1 (Llama 3.1 based)',
    source: 'llama.cpp Functionary v3.1',
    example: `<function=get_weather>${W}</function>`,
  },
  {
    format: 'functionary_v3_2',
    models: 'Functionary medium / small v3.2',
    source: 'llama.cpp Functionary v3.2',
    example: `>>>get_weather\n${W}`,
  },
  {
    format: 'command_r7b',
    models: 'Cohere Command R7B',
    source: 'llama.cpp Command R7B',
    example: `<|START_ACTION|>[{"tool_call_id": "0", "tool_name": "get_weather", "parameters": ${W}}]<|END_ACTION|>`,
  },
  {
    format: 'command_r_plus',
    models: 'Cohere Command R / R+ (tool-use template)',
    source: 'Cohere tool_use template (read like llama.cpp generic JSON)',
    example: `Action: \`\`\`json\n[{"tool_name": "get_weather", "parameters": ${W}}]\n\`\`\``,
  },
  {
    format: 'gpt_oss_harmony',
    models: 'gpt-oss-20b / 120b',
    source: 'vLLM openai, SGLang gpt-oss, llama.cpp GPT-OSS',
    example: `<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>${W}<|call|>`,
  },
  {
    format: 'functiongemma',
    models: 'Google FunctionGemma',
    source: 'vLLM functiongemma, llama.cpp FunctionGemma',
    example: '<start_function_call>call:get_weather{city:<escape>Paris<escape>}<end_function_call>',
  },
  {
    format: 'apertus',
    models: 'Swiss AI Apertus',
    source: 'SGLang apertus, llama.cpp Apertus',
    example: '<|tools_prefix|>[{"get_weather": {"city": "Paris"}}]<|tools_suffix|>',
  },
  {
    format: 'seed_oss',
    models: 'ByteDance Seed-OSS',
    source: 'vLLM seed_oss, llama.cpp Seed-OSS',
    example: '<seed:tool_call>\n<function=get_weather>\n<parameter=city>Paris</parameter>\n</function>\n</seed:tool_call>',
  },
  {
    format: 'step3',
    models: 'StepFun Step-3',
    source: 'vLLM step3, SGLang step3',
    example:
      '<｜tool_calls_begin｜><｜tool_call_begin｜>function<｜tool_sep｜><steptml:invoke name="get_weather"><steptml:parameter name="city">Paris</steptml:parameter></steptml:invoke><｜tool_call_end｜><｜tool_calls_end｜>',
  },
  {
    format: 'gemma_tool_code',
    models: 'Gemma 2 / 3 (prompted tools)',
    source: 'Gemma function-calling guide (tool_code blocks)',
    example: '```tool_code\nprint(get_weather(city="Paris"))\n```',
  },
  {
    format: 'lfm2',
    models: 'Liquid LFM2',
    source: 'vLLM lfm2, SGLang lfm2, llama.cpp LFM2',
    example: '<|tool_call_start|>[get_weather(city="Paris")]<|tool_call_end|>',
  },
  {
    format: 'nemotron_toolcall',
    models: 'NVIDIA Nemotron Nano v2',
    source: 'vLLM nemotron_json, llama.cpp Nemotron v2',
    example: `<TOOLCALL>[{"name": "get_weather", "arguments": ${W}}]</TOOLCALL>`,
  },
];

/** Model names (as served) and the format each family writes; the first match wins. */
const BY_NAME: ReadonlyArray<[RegExp, ToolCallFormat]> = [
  [/qwen3[-_.]?coder|nemotron-3-nano/i, 'qwen3_coder'],
  [/functiongemma/i, 'functiongemma'],
  [/functionary.*v3[._-]?2|functionary-(small|medium)-v3\.2/i, 'functionary_v3_2'],
  [/functionary/i, 'functionary_v3_1'],
  [/gpt-oss/i, 'gpt_oss_harmony'],
  [/deepseek.*v3[._-]?1/i, 'deepseek_v31'],
  [/deepseek/i, 'deepseek_v3'],
  [/kimi/i, 'kimi_k2'],
  [/glm-?4[._-]?[5-9]/i, 'glm4_moe'],
  [/minimax.*m2/i, 'minimax_m2'],
  [/minimax/i, 'minimax_m1'],
  [/magistral|devstral|ministral-3/i, 'mistral_args'],
  [/mistral-small-3|mistral-medium-3/i, 'mistral_v11'],
  [/mistral|mixtral|codestral/i, 'mistral_pre_v11'],
  [/llama-?4/i, 'llama4_pythonic'],
  [/llama-?3/i, 'llama3_json'],
  [/granite-?4/i, 'hermes'],
  [/granite/i, 'granite'],
  [/internlm/i, 'internlm2'],
  [/jamba/i, 'jamba'],
  [/hunyuan/i, 'hunyuan_a13b'],
  [/apriel/i, 'apriel'],
  [/phi-?4/i, 'phi4_mini_functools'],
  [/firefunction/i, 'firefunction_v2'],
  [/xlam/i, 'xlam'],
  [/command-?r7b/i, 'command_r7b'],
  [/command-?r/i, 'command_r_plus'],
  [/apertus/i, 'apertus'],
  [/seed-?oss/i, 'seed_oss'],
  [/step-?3/i, 'step3'],
  [/lfm-?2/i, 'lfm2'],
  [/nemotron.*nano.*v2|nemotron-nano-(9|12)b-v2/i, 'nemotron_toolcall'],
  [/toolace/i, 'pythonic'],
  [/gemma/i, 'gemma_tool_code'],
  [/qwen|qwq|hermes/i, 'hermes'],
];

/** The format a model writes, judged by its name; undefined when the name says nothing. */
export function formatFromModelName(name: string): ToolCallFormat | undefined {
  return BY_NAME.find(([re]) => re.test(name))?.[1];
}

/** Markers in a chat template (GGUF metadata, llama.cpp `/props`) and the format they mean; in order. */
const BY_TEMPLATE: ReadonlyArray<[string[], ToolCallFormat]> = [
  [['<｜tool▁calls▁begin｜>', "message['prefix'] is defined and message['prefix'] and thinking"], 'deepseek_v31'],
  [['<｜tool▁calls▁begin｜>'], 'deepseek_v3'],
  [['<|END_THINKING|><|START_ACTION|>'], 'command_r7b'],
  [['<arg_key>', '<arg_value>'], 'glm4_moe'],
  [['<tool_call>', '<function=', '<parameter='], 'qwen3_coder'],
  [['<seed:tool_call>'], 'seed_oss'],
  [['<minimax:tool_call>'], 'minimax_m2'],
  [['<|tool_calls_section_begin|>'], 'kimi_k2'],
  [['<|channel|>'], 'gpt_oss_harmony'],
  [['<|tools_prefix|>'], 'apertus'],
  [['<|tool_call_start|>'], 'lfm2'],
  [['<TOOLCALL>'], 'nemotron_toolcall'],
  [['<start_function_call>'], 'functiongemma'],
  [['<|tool_call|>'], 'granite'],
  [['<tool_call>'], 'hermes'],
  [['>>>all'], 'functionary_v3_2'],
  [[' functools['], 'firefunction_v2'],
  [['functools['], 'phi4_mini_functools'],
  [['<|start_header_id|>', '<function='], 'functionary_v3_1'],
  [['<|python_start|>'], 'llama4_pythonic'],
  [['<|start_header_id|>ipython<|end_header_id|>', '<|python_tag|>'], 'llama3_builtin'],
  [['<|start_header_id|>ipython<|end_header_id|>'], 'llama3_json'],
  [['[ARGS]'], 'mistral_args'],
  [['[TOOL_CALLS]'], 'mistral_pre_v11'],
  [['<tool_calls>'], 'jamba'],
];

/** The format a chat template's tool-call markup says the model writes. */
export function formatFromTemplate(template: string): ToolCallFormat | undefined {
  return BY_TEMPLATE.find(([markers]) => markers.every((m) => template.includes(m)))?.[1];
}
