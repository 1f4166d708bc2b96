// How many new sessions one client address may start per minute with methods header and query,
// whose keys the client makes up: a client flooding unique keys cannot push other users' sessions
// out of a full table. Over its budget a client is still answered and balanced; its further new
// keys are not remembered until its minute is over.

const WINDOW_MS = 60_000;
/** Addresses tracked at once; past it the longest-tracked are forgotten (their budget starts anew). */
const MAX_CLIENTS = 100_000;

interface Window {
  readonly start: number;
  used: number;
  /** Whether the client was told of (logged as) over budget in this window. */
  reported: boolean;
}

export class NewKeyBudget {
  /** Insertion order: oldest window first. */
  private readonly windows = new Map<string, Window>();
  /** New keys not remembered because their client was over budget, since start. */
  refused = 0;

  /** Told once per client and minute when it goes over budget. */
  onOver: (client: string, perMinute: number) => void = () => {};

  constructor(public perMinute: number) {}

  /** Whether `client` may start one more session now; counts it when so. */
  take(client: string, now: number): boolean {
    let window = this.windows.get(client);
    if (window && now - window.start >= WINDOW_MS) {
      this.windows.delete(client);
      window = undefined;
    }
    if (!window) {
      window = { start: now, used: 0, reported: false };
      this.windows.set(client, window);
      if (this.windows.size > MAX_CLIENTS) this.windows.delete(this.windows.keys().next().value!);
    }
    if (window.used < this.perMinute) {
      window.used++;
      return true;
    }
    this.refused++;
    if (!window.reported) {
      window.reported = true;
      this.onOver(client, this.perMinute);
    }
    return false;
  }

  sweep(now: number): void {
    for (const [client, window] of this.windows) {
      if (now - window.start < WINDOW_MS) break;
      this.windows.delete(client);
    }
  }
}
