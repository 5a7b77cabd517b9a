// Tool schemas as models see them: zod schemas converted to JSON Schema (once per schema), the tool
// list in OpenAI function format, and zod errors written so a model can fix its call.
import type OpenAI from 'openai';
import { z } from 'zod';
import type { Tool } from '../tools/tool';

/** The tool list in OpenAI function format. */
export function toOpenAITools(tools: Tool[]): OpenAI.Chat.ChatCompletionTool[] {
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: jsonSchemaOf(t.schema) },
  }));
}

// Converting a zod schema costs about as much as a zero-latency model turn, and the tools' schemas
// are module constants: convert each once. Callers treat the result as read-only.
const jsonSchemaCache = new WeakMap<z.ZodType, Record<string, unknown>>();

export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  let out = jsonSchemaCache.get(schema);
  if (!out) {
    try {
      out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
      delete out.$schema;
    } catch {
      out = { type: 'object' };
    }
    jsonSchemaCache.set(schema, out);
  }
  return out;
}

export function formatZodError(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      const path = i.path.length
        ? i.path
            .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
            .join('.')
            .replace(/\.\[/g, '[')
        : '(arguments)';
      return `${path}: ${i.message}`;
    })
    .join('; ');
}
