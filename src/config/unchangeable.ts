// What a reload cannot change in a running process: each key named, with the running and the new
// value, so the operator knows to restart for it.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from './schema.ts';
import { describeStore } from '../state/schema.ts';

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** The changes `next` makes that need a restart (empty: it can be applied in place). */
export function unchangeable(running: Config, next: Config): string[] {
  const problems: string[] = [];
  const differs = (key: string, a: unknown, b: unknown) => {
    if (!isDeepStrictEqual(a, b)) problems.push(`${key} cannot change without a restart (running: ${show(a)}, new: ${show(b)})`);
  };
  differs('workers', running.workers, next.workers);
  differs('log.format', running.log.format, next.log.format);
  differs('limits.maxHeaderBytes', running.limits.maxHeaderBytes, next.limits.maxHeaderBytes);
  const names = (c: Config) => c.listeners.map((l) => l.name).sort();
  differs('listeners (their names)', names(running), names(next));
  for (const [i, l] of next.listeners.entries()) {
    const before = running.listeners.find((r) => r.name === l.name);
    if (!before) continue;
    differs(`listeners[${i}].address`, before.address, l.address);
    differs(`listeners[${i}].tls (on or off)`, before.tls !== undefined, l.tls !== undefined);
    differs(`listeners[${i}].proxyProtocol`, before.proxyProtocol, l.proxyProtocol);
  }
  // Compared whole (a password too), shown without passwords.
  if (!isDeepStrictEqual(running.store, next.store)) {
    const [a, b] = [describeStore(running.store), describeStore(next.store)];
    problems.push(`store cannot change without a restart (running: ${a}, new: ${a === b ? `${b}, with another password` : b})`);
  }
  differs('admin (on or off)', running.admin !== undefined, next.admin !== undefined);
  if (running.admin && next.admin) differs('admin.address', running.admin.address, next.admin.address);
  return problems;
}
