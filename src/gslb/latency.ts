// What best-connection-time decides on: each data center's time to answer, measured continuously
// by a light probe (one GET to one of its servers that takes new sessions, every `interval`), as a
// moving average that forgets old measures, so a data center that was slow once is measured again
// and wins new sessions back once it is fast. The probe measures every data center the same way,
// whatever traffic it gets (real traffic only measures the one that is chosen).
//
// Which data centers are "fastest" changes only on a measure, with hysteresis: one joins the
// fastest when within JOIN of the best, and leaves only when beyond LEAVE, so two data centers
// that answer alike share new sessions instead of one winning on noise, and none flaps in and out.
import { httpMonitor } from '../health/http.ts';
import type { Monitor, ProbeResult } from '../health/monitor.ts';
import { monitorSchema } from '../health/schema.ts';
import type { DatacenterMeasures } from './types.ts';
import { connectionKey, type UpstreamTls } from '../upstream/client.ts';

/** Weight of the newest measure in the moving average: about the last five count. */
const ALPHA = 0.3;
/**
 * Joins the fastest within 25% (and 5 ms) of the best; leaves beyond 50% (and 10 ms). The
 * milliseconds keep near data centers (a few ms apart, where a probe's own noise is as large) as one.
 */
const JOIN = { ratio: 1.25, ms: 5 };
const LEAVE = { ratio: 1.5, ms: 10 };

export interface ProbeSettings {
  readonly path: string;
  readonly interval: number;
  readonly timeout: number;
}

/** A data center as the prober sees it: where it may probe now. */
export interface ProbeTarget {
  readonly name: string;
  /** Its servers that take new sessions now: where each is, and its certificate check when https://. */
  readonly servers: readonly { readonly origin: string; readonly tls?: UpstreamTls | undefined }[];
}

export interface DatacenterScore {
  readonly datacenter: string;
  /** Moving average of its probes' time to answer, ms; undefined until measured. */
  readonly ms: number | undefined;
  readonly fastest: boolean;
}

/** For a service that measures nothing (one data center, or a mode that reads no times): every data center alike. */
export const NO_MEASURES: DatacenterMeasures = { isFastest: () => true, score: () => undefined };

export class DatacenterLatency implements DatacenterMeasures {
  private readonly scores = new Map<string, number>();
  /** Measures taken per data center (the first few are averaged plainly, then ALPHA applies). */
  private readonly counts = new Map<string, number>();
  private readonly fastestSet = new Set<string>();
  /** One probe connection per server probed (by origin and certificate check; kept alive between probes). */
  private readonly monitors = new Map<string, Monitor>();
  private readonly stop = new AbortController();
  private probing = false;
  private lastRound = -Infinity;
  private turn = 0;

  constructor(private settings: ProbeSettings) {}

  configure(settings: ProbeSettings): void {
    if (settings.path !== this.settings.path || settings.timeout !== this.settings.timeout) this.closeMonitors();
    this.settings = settings;
  }

  /** Whether `datacenter` is among the fastest (a data center not measured yet is, so that it gets new sessions while it is measured). */
  isFastest(datacenter: string): boolean {
    return this.fastestSet.has(datacenter) || !this.scores.has(datacenter);
  }

  score(datacenter: string): number | undefined {
    return this.scores.get(datacenter);
  }

  /** Every known data center's score, for the admin API, the dashboard and metrics. */
  view(names: readonly string[]): DatacenterScore[] {
    return names.map((datacenter) => ({ datacenter, ms: this.scores.get(datacenter), fastest: this.isFastest(datacenter) }));
  }

  /** Called every second: probes each data center once per interval (one probe round at a time). */
  tick(now: number, targets: readonly ProbeTarget[]): void {
    if (this.probing || now - this.lastRound < this.settings.interval) return;
    this.lastRound = now;
    this.probing = true;
    const turn = this.turn++;
    // A probe never throws (every way it ends is a result); the round ends when all have.
    void Promise.allSettled(targets.map((t) => this.probe(t, turn))).then(() => {
      this.probing = false;
      this.forget(targets);
      this.rank();
    });
  }

  /** Records one measure (exported for the probe and for tests that measure by hand). */
  measured(datacenter: string, ms: number): void {
    const n = (this.counts.get(datacenter) ?? 0) + 1;
    this.counts.set(datacenter, n);
    const before = this.scores.get(datacenter) ?? ms;
    this.scores.set(datacenter, before + Math.max(ALPHA, 1 / n) * (ms - before));
  }

  private async probe(target: ProbeTarget, turn: number): Promise<void> {
    if (target.servers.length === 0) return;
    const { origin, tls } = target.servers[turn % target.servers.length]!;
    const started = performance.now();
    const monitor = this.monitorFor(connectionKey({ id: origin, origin, tls }));
    const result = await new Promise<ProbeResult>((done) => monitor.probe(origin, this.stop.signal, tls, done));
    // A probe that failed measures nothing: health checks and passive health judge failures.
    if (result.ok) this.measured(target.name, performance.now() - started);
  }

  private monitorFor(key: string): Monitor {
    let monitor = this.monitors.get(key);
    if (!monitor) {
      const { path, timeout } = this.settings;
      // Any answer is a measure of time: only a connection that fails (or no answer in time) is not.
      const config = monitorSchema.parse({ path, timeout: `${timeout}ms`, interval: `${Math.max(timeout, 100)}ms`, headers: { 'user-agent': 'mooring-gslb' }, expect: { status: ['100-599'] } });
      this.monitors.set(key, (monitor = httpMonitor.build(config)));
    }
    return monitor;
  }

  /** Scores of data centers no longer configured go, and probe connections to servers no longer probed. */
  private forget(targets: readonly ProbeTarget[]): void {
    for (const name of this.scores.keys()) {
      if (targets.some((t) => t.name === name)) continue;
      this.scores.delete(name);
      this.counts.delete(name);
    }
    for (const [key, monitor] of this.monitors) {
      if (targets.some((t) => t.servers.some((s) => connectionKey({ id: s.origin, ...s }) === key))) continue;
      monitor.close?.();
      this.monitors.delete(key);
    }
  }

  private rank(): void {
    let best = Infinity;
    for (const ms of this.scores.values()) best = Math.min(best, ms);
    for (const [name, ms] of this.scores) {
      if (ms <= best * JOIN.ratio + JOIN.ms) this.fastestSet.add(name);
      else if (ms > best * LEAVE.ratio + LEAVE.ms) this.fastestSet.delete(name);
    }
    for (const name of this.fastestSet) if (!this.scores.has(name)) this.fastestSet.delete(name);
  }

  private closeMonitors(): void {
    for (const monitor of this.monitors.values()) monitor.close?.();
    this.monitors.clear();
  }

  close(): void {
    this.stop.abort();
    this.closeMonitors();
  }
}
