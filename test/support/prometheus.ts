/**
 * A strict parser of the Prometheus text exposition format 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats):
 * it throws, naming the line, on anything a scraper could misread. Beyond the grammar (names, label escapes, values)
 * it checks what Prometheus itself would reject or silently mangle: a family's HELP and TYPE at most once and before
 * its samples, a family's samples contiguous, no duplicate series, counters non-negative, and every histogram
 * complete: `le` buckets ascending and cumulative, a `+Inf` bucket equal to `_count`, a `_sum`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string | null;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, readonly string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

export function parsePrometheus(text: string): Map<string, Family> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const finished = new Set<string>();
  const series = new Set<string>();
  let current: Family | null = null;
  const family = (name: string, line: number): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', help: null, samples: [] }));
    if (f !== current) {
      if (finished.has(name)) throw new Error(`line ${line}: family ${name} is split (its lines must be contiguous)`);
      if (current) finished.add(current.name);
      current = f;
    }
    return f;
  };
  text.split('\n').slice(0, -1).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kind, name, rest = ''] = m;
      if (!NAME.test(name!)) throw new Error(`line ${line}: bad metric name ${name}`);
      const f = family(name!, line);
      if (f.samples.length > 0) throw new Error(`line ${line}: ${kind} of ${name} after its samples`);
      if (kind === 'HELP') {
        if (f.help !== null) throw new Error(`line ${line}: second HELP for ${name}`);
        f.help = unescape(rest, false, line);
      } else {
        if (f.type !== 'untyped' || !TYPES.has(rest)) throw new Error(`line ${line}: bad or second TYPE for ${name}: ${rest}`);
        f.type = rest as MetricType;
      }
      return;
    }
    const sample = parseSample(raw, line);
    const f = family(familyOf(sample.name, families), line);
    const key = `${sample.name}{${Object.entries(sample.labels).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (series.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    series.add(key);
    if (f.type === 'counter' && !(sample.value >= 0)) throw new Error(`line ${line}: counter ${sample.name} is ${sample.value}`);
    f.samples.push(sample);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** The family a sample belongs to: its own name, or a histogram's/summary's with the suffix taken off. */
function familyOf(name: string, families: Map<string, Family>): string {
  for (const [type, suffixes] of Object.entries(SUFFIXES)) {
    for (const suffix of suffixes) {
      const base = name.slice(0, -suffix.length);
      if (name.endsWith(suffix) && families.get(base)?.type === type) return base;
    }
  }
  return name;
}

function parseSample(raw: string, line: number): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)(?: (-?\d+))?$/.exec(raw);
  if (!m) throw new Error(`line ${line}: not a sample: ${raw}`);
  const labels: Record<string, string> = {};
  if (m[2]) {
    let rest = m[2].slice(1, -1);
    while (rest !== '') {
      const l = /^([^=]*)="((?:[^"\\]|\\.)*)"(,?)/.exec(rest);
      if (!l || !LABEL.test(l[1]!)) throw new Error(`line ${line}: bad labels ${m[2]}`);
      if (l[1]! in labels) throw new Error(`line ${line}: label ${l[1]} twice`);
      labels[l[1]!] = unescape(l[2]!, true, line);
      rest = rest.slice(l[0].length);
      if (l[3] === '' && rest !== '') throw new Error(`line ${line}: bad labels ${m[2]}`);
    }
  }
  return { name: m[1]!, labels, value: parseValue(m[3]!, line) };
}

/** As Go's strconv.ParseFloat reads it (the format's definition): NaN and Inf in any case. */
function parseValue(v: string, line: number): number {
  if (/^\+?inf(inity)?$/i.test(v)) return Infinity;
  if (/^-inf(inity)?$/i.test(v)) return -Infinity;
  if (/^nan$/i.test(v)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw new Error(`line ${line}: bad value ${v}`);
  return Number(v);
}

/** HELP may escape \\ and \n; label values also \". Any other backslash is an error. */
function unescape(s: string, quotes: boolean, line: number): string {
  return s.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === '"' && quotes) return '"';
    throw new Error(`line ${line}: bad escape \\${c}`);
  });
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { buckets: [] }));
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: a bucket without le`);
      g.buckets.push([parseValue(le, 0), s.value]);
    } else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else if (s.name === `${f.name}_count`) g.count = s.value;
    else throw new Error(`${f.name}: unexpected sample ${s.name}`);
  }
  for (const [key, g] of groups) {
    if (g.sum === undefined || g.count === undefined) throw new Error(`${f.name}${key}: no _sum or _count`);
    const last = g.buckets.at(-1);
    if (!last || last[0] !== Infinity || last[1] !== g.count) throw new Error(`${f.name}${key}: the +Inf bucket must be last and equal _count`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (!(g.buckets[i]![0] > g.buckets[i - 1]![0]) || g.buckets[i]![1] < g.buckets[i - 1]![1]) {
        throw new Error(`${f.name}${key}: buckets must ascend in le and be cumulative`);
      }
    }
  }
}

/** The value of one series (exact labels), or undefined. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  return undefined;
}
