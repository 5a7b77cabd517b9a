// Ids for calls the model gave none for (text formats mostly): unique enough to pair a call with its result.
import { randomUUID } from 'node:crypto';

export function newToolCallId(): string {
  return `call_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}
