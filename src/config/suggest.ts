// Helping with unknown keys: the keys the schema allows at a path, and the nearest one to a typo.
import type { z } from 'zod';

interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  out?: Schema;
  element?: Schema;
  shape?: Record<string, Schema>;
}
interface Schema {
  _zod: { def: Def };
}

/** Through defaults, optionals and transforms to the type that holds the keys. */
function unwrap(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  while (s) {
    const def = s._zod.def;
    if (def.innerType) s = def.innerType;
    // A preprocess is a pipe from a transform into the schema that checks the value.
    else if (def.type === 'pipe' && def.in) s = def.in._zod.def.type === 'transform' && def.out ? def.out : def.in;
    else return s;
  }
  return undefined;
}

/** The keys an object at `path` may have, or undefined where the schema says nothing fixed. */
export function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  const def = (schemaAt(schema, path) as unknown as Schema | undefined)?._zod.def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The candidate nearest to `key`, if it is near enough to be a typo of it. */
export function nearest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(key, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** "unknown key", with the likely intended key or the keys allowed there. */
export function unknownKeyMessage(schema: z.ZodType, parent: readonly PropertyKey[], key: string): string {
  const known = knownKeys(schema, parent);
  if (!known) return 'unknown key';
  const guess = nearest(key, known);
  return guess ? `unknown key (did you mean "${guess}"?)` : `unknown key; expected one of ${known.join(', ')}`;
}

/** The schema that checks the value at `path`, through objects, arrays, defaults and transforms. */
export function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let s = unwrap(schema as unknown as Schema);
  for (const seg of path) {
    const def = s?._zod.def;
    if (def?.type === 'object' && def.shape) s = unwrap(def.shape[String(seg)]);
    else if (def?.type === 'array') s = unwrap(def.element);
    else return undefined;
  }
  return s as unknown as z.ZodType | undefined;
}
