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

/** Edits between two words, case aside: insert, delete, replace, or swap two neighbours ("strat" → "start" is one). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  // Three rows of the optimal-string-alignment table: two back, for a swap.
  let before = new Array<number>(y.length + 1).fill(0);
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      let d = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row.push(d);
    }
    before = previous;
    previous = row;
  }
  return previous[y.length]!;
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
