// The load benchmark's report: medians per scenario and peer, ratios to direct and to HAProxy
// measured in the same run, peak memory, and the targets checked against them.

export interface Run {
  scenario: string;
  peer: string;
  round: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  /** The proxy's CPU time (user + system, all threads and child processes) per request, in µs. */
  cpuUsPerRequest: number;
  /** Peak RSS during this run alone, from the RSS it started with (NaN where it could not be reset per run). */
  peakRssMiB: number;
}

export interface Setup {
  rounds: number;
  /** Ratios of the observed Mooring's req/s to the plain one's, both loaded at once on the same core, one per round. */
  observedSideBySide?: number[];
  seconds: number;
  connections: number;
  workers: number;
  backend: string;
  loader: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export function summarize(runs: Run[]) {
  const keys = [...new Set(runs.map((r) => `${r.scenario}\u0000${r.peer}`))];
  return keys.map((key) => {
    const [scenario, peer] = key.split('\u0000') as [string, string];
    const mine = runs.filter((r) => r.scenario === scenario && r.peer === peer);
    return {
      scenario,
      peer,
      rps: median(mine.map((r) => r.rps)),
      p50ms: median(mine.map((r) => r.p50ms)),
      p99ms: median(mine.map((r) => r.p99ms)),
      errors: mine.reduce((a, r) => a + r.errors, 0),
      cpuUsPerRequest: median(mine.map((r) => r.cpuUsPerRequest)),
      peakRssMiB: median(mine.map((r) => r.peakRssMiB)),
    };
  });
}

export function report(runs: Run[], rss: Record<string, number>, setup: Setup): string {
  const rows = summarize(runs);
  const find = (scenario: string, peer: string) => rows.find((r) => r.scenario === scenario && r.peer === peer);
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !b ? '–' : (a / b).toFixed(2));
  const lines = [
    `${setup.rounds} interleaved rounds of ${setup.seconds} s, ${setup.connections} connections, ${setup.loader}, backends: ${setup.backend}, Mooring workers: ${setup.workers}; medians (peak RSS: per run, reset before each where Linux allows; whole-run peaks below).`,
    '',
    '| scenario | peer | req/s | p50 ms | p99 ms | peak RSS MiB | CPU µs/req | × direct | × HAProxy | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const direct = find(r.scenario.replace('cookie persistence', 'round-robin').replace('client-ip persistence', 'round-robin'), 'direct') ?? find(r.scenario, 'direct');
    const mem = r.peer === 'direct' ? '–' : (Number.isNaN(r.peakRssMiB) ? (rss[r.peer] ?? NaN) : r.peakRssMiB).toFixed(0);
    const cpuText = r.peer === 'direct' || Number.isNaN(r.cpuUsPerRequest) ? '–' : r.cpuUsPerRequest.toFixed(1);
    lines.push(
      `| ${r.scenario} | ${r.peer} | ${r.rps.toFixed(0)} | ${r.p50ms.toFixed(2)} | ${r.p99ms.toFixed(2)} | ${mem} | ${cpuText} | ${ratio(r.rps, direct?.rps)} | ${ratio(r.rps, find(r.scenario, 'haproxy')?.rps)} | ${r.errors} |`,
    );
  }
  const rr = 'round-robin, 1 KB, keep-alive';
  const cookie = 'cookie persistence, 1 KB, keep-alive';
  const m = (s: string) => find(s, 'mooring');
  const smallKeepAlive = [rr, cookie, 'client-ip persistence, 1 KB, keep-alive'];
  const targets: [string, number | undefined, string, boolean | undefined][] = [];
  const check = (label: string, value: number | undefined, goal: string, ok: (v: number) => boolean) =>
    targets.push([label, value, goal, value === undefined || Number.isNaN(value) ? undefined : ok(value)]);
  const hRr = find(rr, 'haproxy')?.rps;
  const floor = 'node minimal';
  check('Mooring cookie ÷ HAProxy round-robin', hRr ? (m(cookie)?.rps ?? NaN) / hRr : undefined, '≥ 0.40', (v) => v >= 0.4);
  check('Mooring cookie ÷ Mooring round-robin', (m(cookie)?.rps ?? NaN) / (m(rr)?.rps ?? NaN), '≥ 0.95', (v) => v >= 0.95);
  check('Mooring cookie ÷ node minimal (node:http + undici) round-robin', (m(cookie)?.rps ?? NaN) / (find(rr, floor)?.rps ?? NaN), '≥ 1.5', (v) => v >= 1.5);
  const big = 'round-robin, 100 KB, keep-alive';
  check('Mooring 100 KB ÷ Mooring on undici 100 KB', (m(big)?.rps ?? NaN) / (find(big, 'mooring on undici')?.rps ?? NaN), '≥ 1.5', (v) => v >= 1.5);
  check('Mooring cookie ÷ Mooring on undici cookie', (m(cookie)?.rps ?? NaN) / (find(cookie, 'mooring on undici')?.rps ?? NaN), '(for the record)', () => true);
  // Each round's ratio of the two adjacent runs (against the same cookie-only config without
  // observation, when measured), then their median: a round the host slowed down does not pair one
  // peer's slow run with the other's fast one.
  const rounds = [...new Set(runs.map((r) => r.round))];
  const perRound = rounds.flatMap((round) => {
    const at = (peer: string) => runs.find((r) => r.scenario === cookie && r.peer === peer && r.round === round)?.rps;
    const [observed, plain] = [at('mooring+observed'), at('mooring cookie only') ?? at('mooring')];
    return observed !== undefined && plain ? [observed / plain] : [];
  });
  check('Mooring cookie with access log and metrics ÷ without (interleaved, median of per-round ratios)', perRound.length ? median(perRound) : undefined, '≥ 0.90', (v) => v >= 0.9);
  // The same, both loaded at once: they share the core and its noise, so the ratio holds still.
  const side = setup.observedSideBySide ?? [];
  check(`Mooring cookie with access log and metrics ÷ without (both at once, median of ${side.length})`, side.length ? median(side) : undefined, '≥ 0.90', (v) => v >= 0.9);
  // The worst of the scenarios measured (with several workers, client-ip is not).
  const worst = (xs: (number | undefined)[]) => {
    const measured = xs.filter((x): x is number => x !== undefined && !Number.isNaN(x));
    return measured.length ? Math.max(...measured) : undefined;
  };
  check('Mooring p99, 1 KB keep-alive (worst scenario), ms', worst(smallKeepAlive.map((s) => m(s)?.p99ms)), '≤ 10', (v) => v <= 10);
  check('Mooring p99 ÷ node minimal p99, round-robin 1 KB keep-alive', (m(rr)?.p99ms ?? NaN) / (find(rr, floor)?.p99ms ?? NaN), '≤ 1', (v) => v <= 1);
  check('Mooring peak RSS, 1 KB keep-alive (worst scenario), MiB', worst(smallKeepAlive.map((s) => m(s)?.peakRssMiB)), '≤ 100', (v) => v <= 100);
  check('Mooring peak RSS, whole run (every scenario), MiB', rss['mooring'], '≤ 100', (v) => v <= 100);
  const close = 'round-robin, 1 KB, new connection per request';
  const hClose = find(close, 'haproxy')?.rps;
  check('Mooring new connection per request ÷ HAProxy', hClose ? (m(close)?.rps ?? NaN) / hClose : undefined, '≥ 0.30', (v) => v >= 0.3);
  const hp = find(rr, 'http-proxy')?.rps;
  check('Mooring round-robin ÷ http-proxy', hp ? (m(rr)?.rps ?? NaN) / hp : undefined, '≥ 3', (v) => v >= 3);
  // The same ratios by each proxy's own CPU per request: its capacity on one core, which stays
  // meaningful when the load side (wrk and the backends on one core) limits what a fast peer shows.
  const cpu = (s: string, peer: string) => find(s, peer)?.cpuUsPerRequest;
  const byCpu = (s: string, peer: string, base: string, basePeer: string) => (cpu(base, basePeer) ?? NaN) / (cpu(s, peer) ?? NaN);
  check('by CPU per request: Mooring cookie ÷ HAProxy round-robin', byCpu(cookie, 'mooring', rr, 'haproxy'), '≥ 0.40', (v) => v >= 0.4);
  check('by CPU per request: Mooring new connection ÷ HAProxy', byCpu(close, 'mooring', close, 'haproxy'), '≥ 0.30', (v) => v >= 0.3);
  check('by CPU per request: Mooring round-robin ÷ http-proxy', byCpu(rr, 'mooring', rr, 'http-proxy'), '≥ 3', (v) => v >= 3);
  lines.push('', '| target | measured | goal | met |', '|---|---:|---|---|');
  const shown = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(2));
  for (const [label, value, goal, ok] of targets) lines.push(`| ${label} | ${shown(value)} | ${goal} | ${ok === undefined ? 'n/a (peer missing)' : ok ? 'yes' : 'NO'} |`);
  // The ceilings: the smallest node:http + undici proxy, and the smallest over Mooring's own client, in the same run.
  const own = 'own-client minimal';
  lines.push('', '| ceiling (same run) | keep-alive | new connection |', '|---|---:|---:|');
  lines.push(`| node minimal proxy ÷ HAProxy | ${shown((find(rr, floor)?.rps ?? NaN) / (hRr ?? NaN))} | ${shown((find(close, floor)?.rps ?? NaN) / (hClose ?? NaN))} |`);
  lines.push(`| own-client minimal proxy ÷ HAProxy | ${shown((find(rr, own)?.rps ?? NaN) / (hRr ?? NaN))} | ${shown((find(close, own)?.rps ?? NaN) / (hClose ?? NaN))} |`);
  lines.push(`| Mooring round-robin ÷ own-client minimal proxy | ${shown((m(rr)?.rps ?? NaN) / (find(rr, own)?.rps ?? NaN))} | ${shown((m(close)?.rps ?? NaN) / (find(close, own)?.rps ?? NaN))} |`);
  lines.push(`| by CPU per request: own-client minimal ÷ HAProxy | ${shown(byCpu(rr, own, rr, 'haproxy'))} | ${shown(byCpu(close, own, close, 'haproxy'))} |`);
  lines.push(`| Mooring round-robin ÷ node minimal proxy | ${shown((m(rr)?.rps ?? NaN) / (find(rr, floor)?.rps ?? NaN))} | ${shown((m(close)?.rps ?? NaN) / (find(close, floor)?.rps ?? NaN))} |`);
  lines.push(`| Mooring cookie ÷ node minimal proxy | ${shown((m(cookie)?.rps ?? NaN) / (find(rr, floor)?.rps ?? NaN))} | – |`);
  lines.push(`| by CPU per request: node minimal ÷ HAProxy | ${shown(byCpu(rr, floor, rr, 'haproxy'))} | ${shown(byCpu(close, floor, close, 'haproxy'))} |`);
  lines.push(`| by CPU per request: Mooring round-robin ÷ node minimal | ${shown(byCpu(rr, 'mooring', rr, floor))} | ${shown(byCpu(close, 'mooring', close, floor))} |`);
  return lines.join('\n');
}
