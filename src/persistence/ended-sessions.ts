// Sessions ended early (an operator's DELETE /api/v1/sessions/{key}, an app-cookie logout) whose
// signed cookie would otherwise keep pinning its client: Mooring's cookie carries its server, so
// ending one takes a list. An
// entry stays until the cookie's own expiry, or a while after its client was answered with a new
// session, whichever is first; the list is bounded (oldest forgotten first).

/** Requests still carrying an ended cookie this long after the first is answered (parallel ones). */
const AFTER_USE_MS = 60_000;
export const MAX_ENDED_SESSIONS = 10_000;

export class EndedSessions {
  /** session id → forget after (ms since the epoch). Insertion order: oldest first. */
  private readonly until = new Map<string, number>();

  get size(): number {
    return this.until.size;
  }

  /** `expiresAt`: the cookie's absolute expiry in ms (0: none). */
  end(sessionId: string, expiresAt: number, now: number, keepMs: number): void {
    this.until.delete(sessionId);
    this.until.set(sessionId, expiresAt === 0 ? now + keepMs : Math.min(expiresAt, now + keepMs));
    if (this.until.size > MAX_ENDED_SESSIONS) this.until.delete(this.until.keys().next().value!);
  }

  /** Whether `sessionId` was ended; a hit shortens its stay to AFTER_USE_MS from now. */
  has(sessionId: string, now: number): boolean {
    if (this.until.size === 0) return false;
    const until = this.until.get(sessionId);
    if (until === undefined) return false;
    if (now >= until) {
      this.until.delete(sessionId);
      return false;
    }
    this.until.set(sessionId, Math.min(until, now + AFTER_USE_MS));
    return true;
  }

  sweep(now: number): void {
    for (const [id, until] of this.until) if (now >= until) this.until.delete(id);
  }
}
