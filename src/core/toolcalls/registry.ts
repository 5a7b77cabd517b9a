// Which families the scanner listens for under a given setting: every one for `auto`, none for
// `native` (or when no tools were offered), only the family that reads an explicit format otherwise.
import type { Family } from './family';
import type { ParseOptions, ToolCallFormat } from './types';
import { deepseekFamily } from './formats/deepseek';
import { functionaryFamily } from './formats/functionary';
import { functionGemmaFamily } from './formats/functiongemma';
import { harmonyFamily } from './formats/harmony';
import { hermesFamily } from './formats/hermes';
import { jsonTagsFamily } from './formats/json-tags';
import { kimiFamily } from './formats/kimi';
import { llamaFamily } from './formats/llama';
import { mistralFamily } from './formats/mistral';
import { pythonicFamily } from './formats/pythonic';
import { minimaxM2Family, seedOssFamily } from './formats/xml';

export const FAMILIES: readonly Family[] = [
  hermesFamily,
  seedOssFamily,
  minimaxM2Family,
  jsonTagsFamily,
  mistralFamily,
  llamaFamily,
  pythonicFamily,
  deepseekFamily,
  kimiFamily,
  harmonyFamily,
  functionaryFamily,
  functionGemmaFamily,
];

/** Formats read only as a whole reply without markup (formats/bare.ts). */
export const BARE_FORMATS: readonly ToolCallFormat[] = ['llama3_json', 'json_array', 'xlam', 'pythonic', 'llama4_pythonic'];

export interface Selection {
  families: Family[];
  bare: boolean;
  /** Functionary's first recipient, which has no marker. */
  functionaryStart: boolean;
  /** The format whose weak cues count (explicit, or hinted under `auto`). */
  known?: ToolCallFormat;
}

export function select(o: ParseOptions): Selection {
  const mode = o.format ?? 'auto';
  if (o.calls === false || mode === 'native') return { families: [], bare: false, functionaryStart: false, known: o.hint };
  if (mode === 'auto') return { families: [...FAMILIES], bare: true, functionaryStart: o.hint === 'functionary_v3_2', known: o.hint };
  return {
    families: FAMILIES.filter((f) => f.formats.includes(mode)),
    bare: BARE_FORMATS.includes(mode),
    functionaryStart: mode === 'functionary_v3_2',
    known: mode,
  };
}
