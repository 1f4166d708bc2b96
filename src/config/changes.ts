// What a reload changed, for the operator: one line per change, lists of named things (services,
// servers, listeners, data centers, rules' services) matched by name or id, so "servers: added s3"
// rather than "servers[2] changed". Values are shown only where they cannot be secret or come from
// the environment: numbers (durations in ms, weights, limits) and booleans; other changes are named
// without their values, and secret fields never show anything.

const SECRET_FIELDS = new Set(['keys', 'token', 'password', 'sentinelPassword', 'headers']);
/** More lines than this are summed up in a last one. */
const MOST_LINES = 30;

type Rec = Record<string, unknown>;

const isRecord = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The name or id an item of a list is known by, when every item of both lists has one. */
function keyOf(item: unknown): string | undefined {
  if (!isRecord(item)) return undefined;
  const key = item['name'] ?? item['id'];
  return typeof key === 'string' ? key : undefined;
}

function shown(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined) return 'unset';
  return undefined;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function walk(path: string, field: string, a: unknown, b: unknown, out: string[]): void {
  if (equal(a, b)) return;
  if (SECRET_FIELDS.has(field)) return void out.push(`${path}: changed`);
  if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(path ? `${path}.${key}` : key, key, a[key], b[key], out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const aKeys = a.map(keyOf);
    const bKeys = b.map(keyOf);
    if (aKeys.every((k) => k !== undefined) && bKeys.every((k) => k !== undefined) && new Set(aKeys).size === a.length && new Set(bKeys).size === b.length) {
      const removed = aKeys.filter((k) => !bKeys.includes(k));
      const added = bKeys.filter((k) => !aKeys.includes(k));
      if (removed.length > 0) out.push(`${path}: removed ${removed.join(', ')}`);
      if (added.length > 0) out.push(`${path}: added ${added.join(', ')}`);
      b.forEach((item, i) => {
        const at = aKeys.indexOf(bKeys[i]!);
        if (at >= 0) walk(`${path}[${bKeys[i]}]`, field, a[at], item, out);
      });
      return;
    }
    return void out.push(`${path}: changed`);
  }
  const [before, after] = [shown(a), shown(b)];
  out.push(before !== undefined && after !== undefined ? `${path}: ${before} → ${after}` : `${path}: changed`);
}

/** The changes from `running` to `next`, one line each; empty when nothing changed. */
export function configChanges(running: unknown, next: unknown): string[] {
  const out: string[] = [];
  walk('', '', running, next, out);
  if (out.length <= MOST_LINES) return out;
  return [...out.slice(0, MOST_LINES - 1), `and ${out.length - MOST_LINES + 1} more changes`];
}
