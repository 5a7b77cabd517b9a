// The catalog of formats is complete and true: every format has an example that reads as a call to
// get_weather, a row in docs/TOOL-CALL-FORMATS.md and its own test file; model names and chat
// templates are recognised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CATALOG, TOOL_CALL_FORMATS, formatFromModelName, formatFromTemplate, parseToolCalls } from '../../../src/core/toolcalls';

const root = resolve(__dirname, '../../../..');

test('every format has one catalog entry whose example reads as get_weather(city: Paris), set explicitly or not', () => {
  assert.deepEqual(CATALOG.map((c) => c.format).sort(), [...TOOL_CALL_FORMATS].sort());
  for (const f of CATALOG) {
    const r = parseToolCalls(f.example, { format: f.format });
    assert.deepEqual(
      r.calls.map((c) => [c.name, c.arguments, c.source]),
      [['get_weather', { city: 'Paris' }, f.format]],
      f.format,
    );
    assert.equal(r.text, '', f.format);
    const auto = parseToolCalls(f.example, { hint: f.format });
    assert.deepEqual(
      auto.calls.map((c) => c.name),
      ['get_weather'],
      `${f.format} under auto`,
    );
  }
});

test('docs/TOOL-CALL-FORMATS.md has a row per format with its example, and each format its own test file', () => {
  const doc = readFileSync(resolve(root, 'docs/TOOL-CALL-FORMATS.md'), 'utf8');
  for (const f of CATALOG) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${f.format}\` |`));
    assert.ok(row, `a row for ${f.format}`);
    assert.ok(row.includes(exampleCell(f.example)), `${f.format}: the example (regenerate with node scripts/tool-call-formats-doc.mjs)`);
    const file = resolve(root, 'test/unit/toolcalls/formats', `${f.format.replace(/_/g, '-')}.test.ts`);
    assert.ok(existsSync(file), `a test file for ${f.format}: ${file}`);
  }
});

/** How docs/TOOL-CALL-FORMATS.md writes an example in a table cell (scripts/tool-call-formats-doc.mjs). */
function exampleCell(example: string): string {
  return example.replace(/\n/g, '⏎').replace(/\|/g, '\\|');
}

test('model names tell the format', () => {
  const cases: Array<[string, string | undefined]> = [
    ['Qwen/Qwen2.5-7B-Instruct', 'hermes'],
    ['qwen3:30b-a3b', 'hermes'],
    ['Qwen/Qwen3-Coder-30B-A3B-Instruct', 'qwen3_coder'],
    ['mistralai/Mistral-7B-Instruct-v0.3', 'mistral_pre_v11'],
    ['mistralai/Mistral-Small-3.2-24B-Instruct-2506', 'mistral_v11'],
    ['mistralai/Devstral-Small-2507', 'mistral_args'],
    ['meta-llama/Llama-3.1-8B-Instruct', 'llama3_json'],
    ['meta-llama/Llama-4-Scout-17B-16E-Instruct', 'llama4_pythonic'],
    ['deepseek-ai/DeepSeek-R1-Distill-Qwen-32B', 'deepseek_v3'],
    ['deepseek-ai/DeepSeek-V3.1', 'deepseek_v31'],
    ['moonshotai/Kimi-K2-Instruct', 'kimi_k2'],
    ['zai-org/GLM-4.5-Air', 'glm4_moe'],
    ['MiniMaxAI/MiniMax-M2', 'minimax_m2'],
    ['openai/gpt-oss-20b', 'gpt_oss_harmony'],
    ['ibm-granite/granite-3.3-8b-instruct', 'granite'],
    ['google/functiongemma-270m-it', 'functiongemma'],
    ['google/gemma-3-12b-it', 'gemma_tool_code'],
    ['CohereForAI/c4ai-command-r7b-12-2024', 'command_r7b'],
    ['Salesforce/Llama-xLAM-2-8b-fc-r', 'xlam'],
    ['microsoft/Phi-4-mini-instruct', 'phi4_mini_functools'],
    ['LiquidAI/LFM2-1.2B', 'lfm2'],
    ['ByteDance-Seed/Seed-OSS-36B-Instruct', 'seed_oss'],
    ['swiss-ai/Apertus-8B-Instruct-2509', 'apertus'],
    ['my-finetune-v2', undefined],
  ];
  for (const [name, format] of cases) assert.equal(formatFromModelName(name), format, name);
});

test('chat templates tell the format', () => {
  const cases: Array<[string, string | undefined]> = [
    ['{% for m in messages %}<tool_call>\n{{ tool_call | tojson }}\n</tool_call>{% endfor %}', 'hermes'],
    ['<tool_call>\n<function={{ name }}>\n<parameter={{ k }}>', 'qwen3_coder'],
    ['[gMASK]<sop><tool_call>{{ name }}<arg_key>{{ k }}</arg_key><arg_value>', 'glm4_moe'],
    ['{{"<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>" + tool["type"]}}', 'deepseek_v3'],
    ['<|start|>assistant<|channel|>final<|message|>', 'gpt_oss_harmony'],
    ['[AVAILABLE_TOOLS]…[TOOL_CALLS]', 'mistral_pre_v11'],
    ['<|start_header_id|>ipython<|end_header_id|>', 'llama3_json'],
    ['{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}', undefined],
  ];
  for (const [template, format] of cases) assert.equal(formatFromTemplate(template), format, template);
});
