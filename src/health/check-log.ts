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

export class CheckLog {
  private readonly last = new Map<string, LastCheck>();
  /** server → result ('ok' | 'failed') → durations. */
  readonly durations = new Map<string, { ok: CheckDurations; failed: CheckDurations }>();

  record(server: string, check: LastCheck): void {
    this.last.set(server, check);
    let d = this.durations.get(server);
    if (!d) this.durations.set(server, (d = { ok: new CheckDurations(), failed: new CheckDurations() }));
    (check.ok ? d.ok : d.failed).add(check.ms / 1000);
  }

  lastOf(server: string): LastCheck | undefined {
    return this.last.get(server);
  }

  /** Forgets servers no longer configured. */
  keep(ids: ReadonlySet<string>): void {
    for (const id of this.last.keys()) if (!ids.has(id)) this.last.delete(id);
    for (const id of this.durations.keys()) if (!ids.has(id)) this.durations.delete(id);
  }
}
