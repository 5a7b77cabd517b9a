// Short, unique, sortable-enough ids for tasks, calls and approvals (shown in logs and trajectories).
import { randomBytes } from 'node:crypto';

let counter = 0;

export function newId(prefix: string): string {
  counter = (counter + 1) % 0x10000;
  return `${prefix}_${Date.now().toString(36)}${counter.toString(36).padStart(3, '0')}${randomBytes(3).toString('hex')}`;
}
