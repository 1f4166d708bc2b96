// Failover and failback between a service's data centers. New sessions go to active data centers
// that are UP and *admitted*. While none is, Mooring has failed over: the standbys take new
// sessions, and each standby's kickstart URL is called once. An active data center that comes back
// is admitted again only once it has been UP for failbackAfter without a break (auto), or when an
// operator says so (manual); until then new sessions stay on the standby. State lives in the
// runtime, so a reload keeps it; it is re-evaluated on every health change and every second. With
// workers, the primary's controller leads (decides, kickstarts) and each worker's follows it.
import type { EventLog } from '../core/events.ts';
import type { KickstartConfig } from '../config/kickstart-schema.ts';

export interface FailoverSettings {
  readonly failback: 'auto' | 'manual';
  readonly failbackAfter: number;
}

/** What evaluate() needs of the current snapshot. */
export interface FailoverView {
  /** Active (non-standby) data centers with whether each is UP now. */
  readonly active: readonly { readonly name: string; readonly up: boolean }[];
  /** Standby data centers and their kickstart settings. */
  readonly standbys: readonly { readonly name: string; readonly kickstart: KickstartConfig | undefined }[];
}

export interface FailoverRecord {
  readonly at: number;
  readonly kind: 'failover' | 'failback';
  readonly datacenter: string;
  readonly reason: string;
}

interface ActiveState {
  up: boolean;
  /** Since when it has been UP without a break. */
  upSince: number | undefined;
  admitted: boolean;
}

/** Failovers and failbacks kept for the admin API. */
const HISTORY = 50;

export class Failover {
  private readonly states = new Map<string, ActiveState>();
  private failedOver = false;
  readonly history: FailoverRecord[] = [];

  constructor(
    private readonly service: string,
    public settings: FailoverSettings,
    private readonly events: EventLog,
    /** Starts waking a standby (never awaited here). */
    private readonly kick: (datacenter: string, config: KickstartConfig) => void,
    /** False: a worker's copy, which decides nothing and takes the leader's decisions (follow()). */
    private readonly leads = true,
  ) {}

  /** The decisions as they stand: whether each active data center takes new sessions. */
  decisions(): [string, boolean][] {
    return [...this.states].map(([name, s]) => [name, s.admitted]);
  }

  /** The leader's decisions (a follower only). */
  follow(decisions: readonly (readonly [string, boolean])[]): void {
    if (this.leads) return;
    this.states.clear();
    for (const [name, admitted] of decisions) this.states.set(name, { up: admitted, upSince: undefined, admitted });
  }

  /** Whether new sessions may go to active data center `name` (UP and not waiting for failback). */
  admitted(name: string): boolean {
    return this.states.get(name)?.admitted ?? true;
  }

  /** Where each active data center stands for the admin API: admitted, or waiting since when. */
  waiting(): { datacenter: string; upSince: number }[] {
    return [...this.states].filter(([, s]) => s.up && !s.admitted && s.upSince !== undefined).map(([datacenter, s]) => ({ datacenter, upSince: s.upSince! }));
  }

  evaluate(view: FailoverView, now: number): void {
    if (!this.leads) return;
    for (const dc of view.active) {
      let s = this.states.get(dc.name);
      if (!s) this.states.set(dc.name, (s = { up: dc.up, upSince: dc.up ? now : undefined, admitted: dc.up }));
      if (dc.up && !s.up) {
        s.upSince = now;
        // Back after a failover: wait (auto: failbackAfter, manual: an operator); never failed over: at once.
        s.admitted = !this.failedOver;
        if (this.failedOver) this.emit('failback-waiting', dc.name, 'down', 'up', this.settings.failback === 'manual' ? 'UP again; waiting for a manual failback' : `UP again; failback after ${this.settings.failbackAfter / 1000} s UP without a break`, now);
      } else if (!dc.up) {
        s.upSince = undefined;
        s.admitted = false;
      }
      s.up = dc.up;
      if (s.up && !s.admitted && this.settings.failback === 'auto' && now - s.upSince! >= this.settings.failbackAfter) this.admit(dc.name, s, `UP for ${this.settings.failbackAfter / 1000} s`, now);
    }
    for (const name of this.states.keys()) if (!view.active.some((dc) => dc.name === name)) this.states.delete(name);
    const anyAdmitted = [...this.states.values()].some((s) => s.up && s.admitted);
    if (!anyAdmitted && !this.failedOver) this.failOver(view, now);
    else if (anyAdmitted && this.failedOver) this.failedOver = false;
  }

  /** An operator's failback to `name`; false when it is not UP (nothing to fail back to). */
  failback(name: string, now: number): boolean {
    // A follower hears the leader's decision instead (the command reached the leader too).
    if (!this.leads) return true;
    const s = this.states.get(name);
    if (!s || !s.up) return false;
    if (!s.admitted) this.admit(name, s, 'manual failback by an operator', now);
    this.failedOver = false;
    return true;
  }

  private admit(name: string, s: ActiveState, reason: string, now: number): void {
    s.admitted = true;
    this.record('failback', name, reason, now);
    this.emit('failback', name, 'standby', name, reason, now);
  }

  private failOver(view: FailoverView, now: number): void {
    this.failedOver = true;
    const to = view.standbys.map((dc) => dc.name);
    const reason = to.length === 0 ? 'no active data center is UP and there is no standby' : `no active data center is UP; new sessions go to ${to.join(', ')}`;
    for (const dc of to.length ? to : ['-']) this.record('failover', dc, reason, now);
    this.emit('failover', to.join(',') || undefined, view.active.map((dc) => dc.name).join(','), to.join(',') || 'none', reason, now);
    for (const dc of view.standbys) if (dc.kickstart) this.kick(dc.name, dc.kickstart);
  }

  private record(kind: FailoverRecord['kind'], datacenter: string, reason: string, now: number): void {
    this.history.unshift({ at: now, kind, datacenter, reason });
    this.history.length = Math.min(this.history.length, HISTORY);
  }

  private emit(type: 'failover' | 'failback' | 'failback-waiting', datacenter: string | undefined, from: string, to: string, reason: string, now: number): void {
    this.events.emit({ at: now, type, service: this.service, ...(datacenter === undefined ? {} : { datacenter }), from, to, reason });
  }
}
