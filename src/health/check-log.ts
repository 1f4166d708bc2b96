// What active checks found, per server: the last check (result, detail, when, how long), and the
// duration of every check counted in buckets (mooring_health_check_duration_seconds reads them
// when scraped). Kept with the health table, so a reload keeps it; written by the monitors.

/** Upper bounds of the check-duration buckets, in seconds (+Inf is the count). */
export const CHECK_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface LastCheck {
  /** When it ended, ms since the epoch. */
  readonly at: number;
  readonly ok: boolean;
  /** The monitor, as events name it ("http GET /health"). */
  readonly monitor: string;
  readonly detail: string;
  readonly ms: number;
}

/** Checks of one server with one result: how many per bucket (not cumulative), their count and total seconds. */
export class CheckDurations {
  readonly buckets = new Float64Array(CHECK_SECONDS.length);
  count = 0;
  seconds = 0;

  add(seconds: number): void {
    this.count++;
    this.seconds += seconds;
    for (let i = 0; i < CHECK_SECONDS.length; i++) {
      if (seconds > CHECK_SECONDS[i]!) continue;
      this.buckets[i]!++;
      return;
    }
  }
}

/** A server's checks: the last one, written over in place (a new object per check lived two seconds, long enough to cost its promotion and an old-space collection), and the durations. */
class ServerChecks implements LastCheck {
  at = 0;
  ok = false;
  monitor = '';
  detail = '';
  ms = 0;
  readonly passed = new CheckDurations();
  readonly failed = new CheckDurations();
}

export class CheckLog {
  private readonly servers = new Map<string, ServerChecks>();

  record(server: string, at: number, ok: boolean, monitor: string, detail: string, ms: number): void {
    let checks = this.servers.get(server);
    if (!checks) this.servers.set(server, (checks = new ServerChecks()));
    checks.at = at;
    checks.ok = ok;
    checks.monitor = monitor;
    checks.detail = detail;
    checks.ms = ms;
    (ok ? checks.passed : checks.failed).add(ms / 1000);
  }

  /** A copy of the last check (the log's own record changes with the next). */
  lastOf(server: string): LastCheck | undefined {
    const checks = this.servers.get(server);
    if (!checks) return undefined;
    const { at, ok, monitor, detail, ms } = checks;
    return { at, ok, monitor, detail, ms };
  }

  /** Each server's check durations, by result. */
  *durations(): IterableIterator<[server: string, durations: { ok: CheckDurations; failed: CheckDurations }]> {
    for (const [server, checks] of this.servers) yield [server, { ok: checks.passed, failed: checks.failed }];
  }

  /** Forgets servers no longer configured. */
  keep(ids: ReadonlySet<string>): void {
    for (const id of this.servers.keys()) if (!ids.has(id)) this.servers.delete(id);
  }
}
