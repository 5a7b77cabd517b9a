// `orchestra local verify`: is each local GGUF file whole and the file its catalog entry describes?
// The header must parse and the data must be as long as the header says; the SHA-256 is compared
// with the catalog entry of the same file name when that entry has one.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { CatalogModel } from './catalog';
import { GgufError, readGgufInfo } from './gguf-info';

export interface VerifyOutcome {
  file: string;
  /** ok: the hash matches the catalog; unchecked: no catalog hash to compare; mismatch / bad: failures. */
  status: 'ok' | 'unchecked' | 'mismatch' | 'bad';
  sha256?: string;
  catalogId?: string;
  detail: string;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(file)
      .on('data', (c) => hash.update(c))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return hash.digest('hex');
}

export async function verifyModelFiles(
  files: string[],
  catalog: readonly CatalogModel[],
  onHashing?: (file: string) => void,
): Promise<VerifyOutcome[]> {
  const out: VerifyOutcome[] = [];
  for (const file of files) {
    try {
      await readGgufInfo(file);
    } catch (err) {
      out.push({ file, status: 'bad', detail: err instanceof GgufError ? err.reason : err instanceof Error ? err.message : String(err) });
      continue;
    }
    const entry = catalog.find((m) => m.fileName === basename(file));
    onHashing?.(file);
    let sha256: string;
    try {
      sha256 = await sha256File(file);
    } catch (err) {
      out.push({ file, status: 'bad', detail: `cannot read it: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    if (!entry) {
      out.push({ file, status: 'unchecked', sha256, detail: `not a catalog file; header complete; SHA-256 ${sha256}` });
    } else if (!entry.sha256) {
      out.push({
        file,
        status: 'unchecked',
        sha256,
        catalogId: entry.id,
        detail: `catalog model ${entry.id} has no SHA-256 to compare (${entry.checksumSource || 'none recorded'}); header complete; SHA-256 ${sha256}`,
      });
    } else if (sha256 === entry.sha256.toLowerCase()) {
      out.push({ file, status: 'ok', sha256, catalogId: entry.id, detail: `SHA-256 matches catalog model ${entry.id}` });
    } else {
      out.push({
        file,
        status: 'mismatch',
        sha256,
        catalogId: entry.id,
        detail: `SHA-256 ${sha256} differs from catalog model ${entry.id} (${entry.sha256}): the file is damaged or another build; download it again`,
      });
    }
  }
  return out;
}
