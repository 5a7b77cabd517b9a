// Short, unique, sortable-enough ids for tasks, calls and approvals (shown in logs and trajectories).
import { randomBytes } from 'node:crypto';

let counter = 0;
// Random bytes are drawn in blocks: one call into the system's generator per id cost more than the
// rest of a zero-latency orchestration turn's bookkeeping.
const RANDOM_BLOCK = 3 * 1024;
let random = Buffer.alloc(0);
let randomAt = 0;

export function newId(prefix: string): string {
  counter = (counter + 1) % 0x10000;
  if (randomAt + 3 > random.length) {
    random = randomBytes(RANDOM_BLOCK);
    randomAt = 0;
  }
  const suffix = random.toString('hex', randomAt, randomAt + 3);
  randomAt += 3;
  return `${prefix}_${Date.now().toString(36)}${counter.toString(36).padStart(3, '0')}${suffix}`;
}
