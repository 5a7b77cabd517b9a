// Ids for calls the model gave none for (text formats mostly): unique within the process (a random
// prefix, then a counter), cheap enough for a turn of thousands of calls.
import { randomBytes } from 'node:crypto';

const PREFIX = randomBytes(4).toString('hex');
let counter = 0;

export function newToolCallId(): string {
  return `call_${PREFIX}${(counter++).toString(36).padStart(4, '0')}`;
}
