// A strict reader of the Prometheus text exposition format 0.0.4, for tests: every line must be a
// HELP, a TYPE or a sample of a declared family, names and labels well formed, label values
// properly escaped, histograms cumulative with a +Inf bucket equal to their count. It throws
// with the line number on the first thing a Prometheus server would reject.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

/** As Prometheus reads values (Go's ParseFloat): NaN and Inf in any case (prom-client writes "Nan"). */
function parseValue(text: string, where: string): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value ${JSON.stringify(text)}`);
  return Number(text);
}

/** Reads `{a="x",b="y"}` from `text` at `start`; returns the labels and where it ended. */
function parseLabels(text: string, start: number, where: string): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start + 1;
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without =`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name) || name.startsWith('__')) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label ${name} value not quoted`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`${where}: bad escape \\${next ?? ''} in label ${name}`);
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`${where}: unterminated value of label ${name}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`${where}: expected , or } after label ${name}`);
  }
  return [labels, i + 1];
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const familyOf = (sample: string): Family | undefined => {
    for (const f of families.values()) {
      const suffixes = SUFFIXES[f.type] ?? [''];
      if (suffixes.some((s) => f.name + s === sample)) return f;
    }
    return undefined;
  };
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  text.slice(0, -1).split('\n').forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line === '') return;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`);
      const f = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
        if (f.samples.length > 0) throw new Error(`${where}: TYPE of ${name} after its samples`);
        families.set(name, { ...f, type: rest });
      } else families.set(name, { ...f, help: rest });
      return;
    }
    if (line.startsWith('#')) return;
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`${where}: not a sample: ${line}`);
    const name = line.slice(0, nameEnd);
    if (!NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`);
    let labels: Record<string, string> = {};
    let rest = nameEnd;
    if (line[nameEnd] === '{') [labels, rest] = parseLabels(line, nameEnd, where);
    const fields = line.slice(rest).trim().split(' ');
    if (line[rest] !== ' ' || fields.length < 1 || fields.length > 2) throw new Error(`${where}: expected a value (and a timestamp) after ${name}`);
    const family = familyOf(name);
    if (!family) throw new Error(`${where}: sample ${name} of no declared family`);
    family.samples.push({ name, labels, value: parseValue(fields[0]!, where) });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** Buckets never decrease, and the +Inf bucket holds every observation (the count). */
function checkHistogram(f: Family): void {
  const series = new Map<string, Sample[]>();
  const keyOf = (labels: Readonly<Record<string, string>>) =>
    JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort(([a], [b]) => a.localeCompare(b)));
  for (const s of f.samples) {
    const key = keyOf(s.labels);
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, samples] of series) {
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`).map((s) => ({ le: parseValue(s.labels['le'] ?? '', `${f.name} ${key}`), value: s.value }));
    buckets.sort((a, b) => a.le - b.le);
    for (let i = 1; i < buckets.length; i++) if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${f.name} ${key}: buckets decrease`);
    const count = samples.find((s) => s.name === `${f.name}_count`)?.value;
    if (buckets.at(-1)?.le !== Infinity || buckets.at(-1)?.value !== count) throw new Error(`${f.name} ${key}: no +Inf bucket equal to the count`);
  }
}

/** The value of the sample `name` whose labels include `labels` (undefined: none). */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    const s = f.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    if (s) return s.value;
  }
  return undefined;
}
