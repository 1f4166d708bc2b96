// Runs a service's active monitors: each (server, monitor) pair probes every `interval`, the pairs
// staggered evenly across the interval (with a random phase per service) so that many servers are
// never probed at once. Results go through rise/fall, then the quorum, into the health table.
import type { UpstreamTls } from '../upstream/client.ts';
import { setMaxListeners } from 'node:events';
import type { Random } from '../core/clock.ts';
import { buildMonitor } from './registry.ts';
import type { Monitor, ProbeResult } from './monitor.ts';
import { quorum, votesNeeded, type Required } from './quorum.ts';
import { nextVerdict, UNKNOWN, type RiseFall } from './rise-fall.ts';
import type { MonitorConfig } from './schema.ts';
import type { HealthState, HealthTable } from './table.ts';
import { CheckLog } from './check-log.ts';

/** Where this instance's verdict on a server goes: the health table, or a vote among instances. */
export interface VerdictSink {
  verdict(server: string, state: HealthState, reason: string): void;
  /** The scheduler stopped (a reload replaces it). */
  stop?(): void;
}

export interface MonitoredServer {
  readonly id: string;
  readonly origin: string;
  /** For an https:// server: how its certificate is checked, as for requests. */
  readonly tls?: UpstreamTls | undefined;
  readonly monitors: readonly MonitorConfig[];
}

/**
 * Probes start on the ticks of one timer per scheduler, every tenth of the shortest interval
 * (10–100 ms): one wake-up starts every probe due, and their answers come back together, where a
 * timer per probe cost a wake-up each (1,000 servers every 2 s: 500 a second).
 */
const MIN_TICK_MS = 10;
const MAX_TICK_MS = 100;

class Pair {
  verdict: RiseFall = UNKNOWN;
  running = false;
  plannedAt = 0;
  startedAt = 0;
  /** Hears each probe's result (made once: a probe allocates no callback of its own). */
  heard: (result: ProbeResult) => void = () => undefined;

  constructor(
    readonly server: MonitoredServer,
    readonly config: MonitorConfig,
    readonly monitor: Monitor,
    readonly siblings: Pair[],
  ) {}
}

export class HealthScheduler {
  private readonly pairs: Pair[] = [];
  private readonly stopper = new AbortController();
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    servers: readonly MonitoredServer[],
    private readonly required: Required,
    table: HealthTable,
    private readonly now: () => number,
    private readonly random: Random,
    private readonly sink: VerdictSink = { verdict: (server, state, reason) => table.setMonitored(server, state, reason, now()) },
    /** Where each check's result and duration go (the service runtime's, kept across reloads). */
    private readonly checks = new CheckLog(),
  ) {
    for (const server of servers) {
      const siblings: Pair[] = [];
      // A scheduler restarted by a reload begins from the table's verdict, so a server that was up
      // (or down) stays so until its monitors say otherwise by their rise/fall.
      const known = table.monitored(server.id);
      for (const config of server.monitors) {
        const pair = new Pair(server, config, buildMonitor(config), siblings);
        pair.heard = (result) => this.heard(pair, result);
        if (known !== 'unknown') pair.verdict = { state: known, passes: 0, fails: 0 };
        siblings.push(pair);
      }
      this.pairs.push(...siblings);
    }
  }

  start(): void {
    // Every probe under way listens for the stop: as many listeners as probes may overlap.
    setMaxListeners(0, this.stopper.signal);
    const phase = this.random.next();
    const n = this.pairs.length;
    if (n === 0) return;
    const now = performance.now();
    this.pairs.forEach((pair, i) => {
      pair.plannedAt = now + (pair.config.interval * ((i + phase) % n)) / n;
    });
    const shortest = Math.min(...this.pairs.map((p) => p.config.interval));
    this.ticker = setInterval(() => this.tick(), Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, Math.floor(shortest / 10))));
  }

  stop(): void {
    this.stopper.abort();
    this.sink.stop?.();
    clearInterval(this.ticker);
    for (const pair of this.pairs) pair.monitor.close?.();
  }

  /** Starts every probe that is due (unless its previous one still runs) and plans its next one an interval on. */
  private tick(): void {
    if (this.stopper.signal.aborted) return;
    const now = performance.now();
    for (const pair of this.pairs) {
      if (pair.plannedAt > now) continue;
      pair.plannedAt += pair.config.interval;
      // Far behind (the process was stalled): go on from now rather than probe in a burst.
      if (pair.plannedAt <= now) pair.plannedAt = now + pair.config.interval;
      if (pair.running) continue;
      pair.running = true;
      pair.startedAt = now;
      pair.monitor.probe(pair.server.origin, this.stopper.signal, pair.server.tls, pair.heard);
    }
  }

  private heard(pair: Pair, result: ProbeResult): void {
    pair.running = false;
    if (this.stopper.signal.aborted) return;
    this.checks.record(pair.server.id, this.now(), result.ok, pair.monitor.label, result.detail, performance.now() - pair.startedAt);
    const before = pair.verdict.state;
    pair.verdict = nextVerdict(pair.verdict, result.ok, pair.config);
    if (pair.verdict.state === before) return;
    const votes = pair.siblings.map((p) => p.verdict.state);
    const state = quorum(votes, this.required);
    const down = votes.filter((v) => v === 'down').length;
    const tally = votes.length > 1 ? ` (${down} of ${votes.length} monitors down, ${votesNeeded(this.required, votes.length)} needed)` : '';
    this.sink.verdict(pair.server.id, state, `${pair.monitor.label}: ${result.detail}${tally}`);
  }
}
