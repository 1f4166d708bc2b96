// Checks that span fields (unique names and ids, listener → service references). They read the raw
// input defensively, so they report alongside field errors instead of after them are fixed.

export interface CrossProblem {
  path: (string | number)[];
  message: string;
}

type Rec = Record<string, unknown>;
const records = (value: unknown): Rec[] =>
  Array.isArray(value) ? value.map((v) => (v !== null && typeof v === 'object' ? (v as Rec) : {})) : [];

/** Reports each repeat of `field` among `items` after its first use. */
function duplicates(
  items: Rec[],
  field: string,
  at: (i: number) => (string | number)[],
  what: string,
  problems: CrossProblem[],
  where = '',
): Set<string> {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const value = item[field];
    if (typeof value !== 'string') return;
    if (seen.has(value)) problems.push({ path: [...at(i), field], message: `duplicate ${what} "${value}"${where}` });
    seen.add(value);
  });
  return seen;
}

export function crossCheck(raw: unknown): CrossProblem[] {
  const problems: CrossProblem[] = [];
  const root = raw !== null && typeof raw === 'object' ? (raw as Rec) : {};
  const services = records(root['services']);
  const listeners = records(root['listeners']);
  const serviceNames = duplicates(services, 'name', (i) => ['services', i], 'service name', problems);
  services.forEach((service, si) => {
    const at = (i: number) => ['services', si, 'servers', i];
    duplicates(records(service['servers']), 'id', at, 'server id', problems, ` in service ${String(service['name'])}`);
  });
  duplicates(listeners, 'name', (i) => ['listeners', i], 'listener name', problems);
  duplicates(listeners, 'address', (i) => ['listeners', i], 'listener address', problems);
  listeners.forEach((listener, li) => {
    const target = listener['service'];
    if (typeof target === 'string' && services.length > 0 && !serviceNames.has(target)) {
      problems.push({ path: ['listeners', li, 'service'], message: `no service named "${target}" (services: ${[...serviceNames].join(', ')})` });
    }
  });
  return problems;
}
