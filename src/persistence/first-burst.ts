// First-burst grouping: a browser opens several connections before the first Set-Cookie comes back.
// Requests without a cookie from the same client IP and User-Agent join the session the first one
// started (same server, same session id), but only until that first request's answer is sent (its
// cookie is on its way: later requests could carry it) and never longer than the window. So
// sequential cookie-less clients (a curl loop, a load test, users behind one NAT) are never merged.
// When sessions are shared (workers, or instances through Redis), so are bursts: a browser's
// parallel connections may reach different processes, and each finds the burst the first began.
import { createHash } from 'node:crypto';
import type { SessionStore } from '../state/session-store.ts';

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

  constructor(
    private readonly windowMs: number,
    /** Where bursts are shared with other processes; undefined: this process alone. */
    private readonly shared?: SessionStore,
  ) {}

  /** Whether a burst this process has not seen may be known elsewhere. */
  get sharing(): boolean {
    return this.shared !== undefined && this.windowMs > 0;
  }

  /** The shared store's key for `key`: a hash, so no client address or User-Agent leaves the process. */
  static sharedKey(key: string): string {
    return createHash('sha256').update(key).digest('base64url').slice(0, 22);
  }

  static key(clientIp: string, userAgent: string | undefined): string {
    return `${clientIp}\n${userAgent ?? ''}`;
  }

  find(key: string, now: number): Burst | undefined {
    if (this.windowMs === 0) return undefined;
    const burst = this.bursts.get(key);
    if (burst && now - burst.at < this.windowMs) return burst;
    if (burst) this.bursts.delete(key);
    return this.shared ? this.findShared(key, now) : undefined;
  }

  /** A burst another process began, as the shared store holds it (its session's details packed in sessionId). */
  private findShared(key: string, now: number): Burst | undefined {
    const entry = this.shared!.find(FirstBurst.sharedKey(key), now);
    if (typeof entry !== 'object' || now - entry.lastSeen >= this.windowMs) return undefined;
    const [sessionId, issuedAt, expiresAt] = (entry.sessionId ?? '').split(' ');
    if (!sessionId) return undefined;
    return { serverId: entry.server, sessionId, issuedAt: Number(issuedAt), expiresAt: Number(expiresAt), at: entry.lastSeen };
  }

  /** The first request's answer is on its way: no later request joins its burst. */
  close(key: string): void {
    if (this.bursts.delete(key)) this.shared?.end(FirstBurst.sharedKey(key));
  }

  remember(key: string, burst: Burst): void {
    if (this.windowMs === 0) return;
    this.bursts.delete(key);
    this.bursts.set(key, burst);
    if (this.bursts.size > LIMIT) this.bursts.delete(this.bursts.keys().next().value!);
    this.shared?.bind(FirstBurst.sharedKey(key), burst.serverId, burst.at, { expiresAt: burst.at + this.windowMs, sessionId: `${burst.sessionId} ${burst.issuedAt} ${burst.expiresAt}` });
  }

  sweep(now: number): void {
    for (const [key, burst] of this.bursts) {
      if (now - burst.at < this.windowMs) break;
      this.bursts.delete(key);
    }
  }
}
