// First-burst grouping: a browser opens several connections before the first Set-Cookie comes back.
// Requests without a cookie from the same client IP and User-Agent join the session the first one
// started (same server, same session id), but only until that first request's answer is sent (its
// cookie is on its way: later requests could carry it) and never longer than the window. So
// sequential cookie-less clients (a curl loop, a load test, users behind one NAT) are never merged.

export interface Burst {
  readonly serverId: string;
  readonly sessionId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly at: number;
}

/** Bursts remembered at once; beyond, the oldest are forgotten (they expire within the window anyway). */
const LIMIT = 50_000;

export class FirstBurst {
  private readonly bursts = new Map<string, Burst>();

  constructor(private readonly windowMs: number) {}

  static key(clientIp: string, userAgent: string | undefined): string {
    return `${clientIp}\n${userAgent ?? ''}`;
  }

  find(key: string, now: number): Burst | undefined {
    if (this.windowMs === 0) return undefined;
    const burst = this.bursts.get(key);
    if (burst && now - burst.at < this.windowMs) return burst;
    if (burst) this.bursts.delete(key);
    return undefined;
  }

  /** The first request's answer is on its way: no later request joins its burst. */
  close(key: string): void {
    this.bursts.delete(key);
  }

  remember(key: string, burst: Burst): void {
    if (this.windowMs === 0) return;
    this.bursts.delete(key);
    this.bursts.set(key, burst);
    if (this.bursts.size > LIMIT) this.bursts.delete(this.bursts.keys().next().value!);
  }

  sweep(now: number): void {
    for (const [key, burst] of this.bursts) {
      if (now - burst.at < this.windowMs) break;
      this.bursts.delete(key);
    }
  }
}
