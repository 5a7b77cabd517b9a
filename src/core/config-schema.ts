// The JSON Schema of the workspace config file, generated from the zod schema (so the two cannot
// disagree) with the descriptions of the `orchestra.*` settings, for editors to validate and
// complete `orchestra.json`. Every object refuses unknown keys, as the engine does.
import { z } from 'zod';
import { OrchestraConfig } from './config';
import { keyPaths } from './config-keys';

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: unknown;
};

/** A setting as package.json's `contributes.configuration` describes it (only what is copied here). */
export interface SettingDoc {
  description?: string;
  markdownDescription?: string;
  enumDescriptions?: string[];
  items?: SettingDoc & { properties?: Record<string, SettingDoc> };
  properties?: Record<string, SettingDoc>;
}

/**
 * The schema, draft-07 (what editors support best). `settings` (package.json's configuration
 * properties, keyed `orchestra.…`) lends each key its description. Keys may also be written as
 * settings.json writes them (`"orchestra.budget.maxTurns"`); those refer to the nested ones.
 */
export function configJsonSchema(settings: Record<string, SettingDoc> = {}): JsonSchema {
  const schema = z.toJSONSchema(OrchestraConfig, { io: 'input', target: 'draft-7' }) as JsonSchema;
  schema.title = 'Orchestra configuration (orchestra.json)';
  schema.description =
    'Read by the Orchestra extension and the orchestra CLI. The same keys as the orchestra.* settings; unknown keys are refused.';
  const props = (schema.properties ??= {});
  for (const [key, doc] of Object.entries(settings)) {
    const node = nodeAt(schema, key.replace(/^orchestra\./, '').split('.'));
    if (node) describe(node, doc);
  }
  for (const path of leafPaths()) {
    props[`orchestra.${path.join('.')}`] = { $ref: `#/properties/${path.join('/properties/')}` };
  }
  props.$schema = { type: 'string', description: 'The schema this file follows (for editors).' };
  return schema;
}

function nodeAt(schema: JsonSchema, path: string[]): JsonSchema | undefined {
  let cur: JsonSchema | undefined = schema;
  for (const p of path) cur = cur?.properties?.[p];
  return cur;
}

/** Copies the descriptions of a setting (and of its items' properties) onto the schema node. */
function describe(node: JsonSchema, doc: SettingDoc): void {
  if (doc.markdownDescription) node.markdownDescription = doc.markdownDescription;
  const plain = doc.description ?? doc.markdownDescription;
  if (plain) node.description = plain;
  if (doc.enumDescriptions) node.enumDescriptions = doc.enumDescriptions;
  for (const [k, d] of Object.entries(doc.properties ?? {})) {
    const child = node.properties?.[k];
    if (child) describe(child, d);
  }
  if (doc.items && node.items) describe(node.items, doc.items);
}

/** The keys a settings.json can hold one by one: everything but the objects that group them. */
function leafPaths(): string[][] {
  const all = keyPaths(OrchestraConfig).filter((p) => !p.includes('[]'));
  return all.filter((p) => !all.some((q) => q.length > p.length && p.every((s, i) => q[i] === s)));
}
