// The health table of one service: per server an operator's choice (admin state), what monitors and
// passive checks say (health), and a slow-start clock. What the data plane may do with a server
// (keep its sessions, give it new ones, at what share) is derived here and nowhere else. The two
// halves never overwrite each other: a health flip keeps a drain, an enable keeps a failed monitor.
import type { EventLog, EventType } from '../core/events.ts';
import { ejectionAllowed, ejectionLength, type Outcome, type PassiveSettings } from './ejection.ts';
import { rampFactor } from './slow-start.ts';

export type AdminState = 'enabled' | 'draining' | 'disabled';
export type HealthState = 'up' | 'down' | 'unknown';

export interface TableServer {
  readonly id: string;
  readonly datacenter: string;
  readonly backup: boolean;
  readonly admin: AdminState;
  /** What an unknown health counts as until monitors decide. */
  readonly assume: 'up' | 'down';
}

export interface HealthSettings {
  /** Ramp length for a server that comes back, ms (0: none). */
  readonly slowStart: number;
  /** Passive ejection; undefined turns it off. */
  readonly passive: PassiveSettings | undefined;
  /** How long a drain waits for sessions to end before moving them, ms (0: wait for ever). */
  readonly drainDeadline: number;
  /** Sessions moved per second per server once the drain deadline has passed. */
  readonly drainRate: number;
}

/** One server's row, as the admin API shows it. */
export interface ServerHealth {
  readonly admin: AdminState;
  readonly health: HealthState;
  /** When an ejection ends, ms since the epoch; undefined when not ejected. */
  readonly ejectedUntil: number | undefined;
  /** Share of its weight while slow start ramps it up (1: full). */
  readonly weightFactor: number;
  /** When its drain began, ms since the epoch; undefined when not draining. */
  readonly drainingSince: number | undefined;
  /** Draining, and no session or request is left on it. */
  readonly drained: boolean;
  readonly acceptsNew: boolean;
  /** Since when its health reads as it does, ms since the epoch. */
  readonly healthSince: number;
}

class Entry {
  monitored: HealthState = 'unknown';
  ejectedUntil = 0;
  ejections = 0;
  reinstatedAt = 0;
  failures = 0;
  /** When the slow-start ramp began; undefined when not ramping. */
  rampFrom: number | undefined = undefined;
  drainFrom = 0;
  drainDone = false;
  moveTokens = 0;
  tokensAt = 0;
  /** Healthy and enabled (backup or not). */
  eligible = false;
  everEligible = false;
  /** Healthy and not disabled: may serve sessions already bound to it. */
  existing = false;
  /** The health last shown (ejected reads down), and since when, ms since the epoch. */
  shownHealth: HealthState = 'unknown';
  healthSince = 0;

  constructor(
    readonly id: string,
    public datacenter: string,
    public backup: boolean,
    public admin: AdminState,
    public assume: 'up' | 'down',
  ) {}

  get healthy(): boolean {
    return this.ejectedUntil === 0 && (this.monitored === 'up' || (this.monitored === 'unknown' && this.assume === 'up'));
  }
}

export class HealthTable {
  private readonly entries = new Map<string, Entry>();
  /** Data center → primaries (non-backup servers) eligible for new sessions. */
  private readonly primariesUp = new Map<string, number>();
  /** Eligible backups per data center (they serve while no primary of theirs does). */
  private readonly backupsUp = new Map<string, number>();
  /** Servers ramping up now: while none is, picks skip the slow-start step entirely. */
  private rampingCount = 0;

  constructor(
    readonly service: string,
    servers: readonly TableServer[],
    private settings: HealthSettings,
    private readonly events: EventLog,
    now: number,
  ) {
    for (const s of servers) this.add(s, now);
  }

  // --- what the data plane reads ---

  admin(id: string): AdminState {
    return this.entry(id).admin;
  }

  /** Ejected servers read down; unknown means no monitor has decided yet. */
  health(id: string): HealthState {
    const e = this.entry(id);
    return e.ejectedUntil !== 0 ? 'down' : e.monitored;
  }

  ejected(id: string): boolean {
    return this.entry(id).ejectedUntil !== 0;
  }

  isBackup(id: string): boolean {
    return this.entry(id).backup;
  }

  acceptsExisting(id: string): boolean {
    return this.entries.get(id)?.existing ?? false;
  }

  /** Healthy, enabled, and (for a backup) no primary of its data center is. */
  acceptsNew(id: string): boolean {
    const e = this.entries.get(id);
    return e !== undefined && e.eligible && (!e.backup || (this.primariesUp.get(e.datacenter) ?? 0) === 0);
  }

  /** Whether a primary of `datacenter` takes new sessions (sessions on backups then move back). */
  primaryAvailable(datacenter: string): boolean {
    return (this.primariesUp.get(datacenter) ?? 0) > 0;
  }

  /** Servers of `datacenter` taking new sessions: its primaries, or while none does, its backups. */
  servingIn(datacenter: string): number {
    const primaries = this.primariesUp.get(datacenter) ?? 0;
    return primaries > 0 ? primaries : (this.backupsUp.get(datacenter) ?? 0);
  }

  get anyRamping(): boolean {
    return this.rampingCount > 0;
  }

  /** Share of its weight a server gets now: below 1 while it ramps up after coming back. */
  weightFactor(id: string, now: number): number {
    const e = this.entries.get(id);
    return e?.rampFrom === undefined ? 1 : rampFactor(now - e.rampFrom, this.settings.slowStart);
  }

  /**
   * Whether a session on a draining server whose deadline has passed may be moved now (at most
   * drainRate a second; the others stay until a later request).
   */
  drainMove(id: string, now: number): boolean {
    const e = this.entry(id);
    const { drainDeadline, drainRate } = this.settings;
    if (e.admin !== 'draining' || drainDeadline === 0 || now - e.drainFrom < drainDeadline) return false;
    // No credit builds up before the deadline: from then on, drainRate moves a second.
    const since = Math.max(e.tokensAt, e.drainFrom + drainDeadline);
    e.moveTokens = Math.min(drainRate, e.moveTokens + ((now - since) / 1000) * drainRate);
    e.tokensAt = now;
    if (e.moveTokens < 1) return false;
    e.moveTokens -= 1;
    return true;
  }

  // --- what the control plane writes ---

  setAdmin(id: string, state: AdminState, reason: string, now: number): void {
    const e = this.entry(id);
    if (e.admin === state) return;
    const from = e.admin;
    e.admin = state;
    if (state === 'draining') {
      e.drainFrom = now;
      e.drainDone = false;
      e.moveTokens = 0;
      e.tokensAt = now;
    }
    this.derive(e, now);
    this.emit(state, e, from, state, reason, now);
  }

  /** The monitors' verdict (after rise/fall and quorum). */
  setMonitored(id: string, state: HealthState, reason: string, now: number): void {
    const e = this.entry(id);
    if (e.monitored === state) return;
    const from = e.monitored;
    e.monitored = state;
    this.derive(e, now);
    if (state !== 'unknown') this.emit(state, e, from, state, reason, now);
  }

  /** Passive health: how a request to `id` ended (`now` is read only for a failure). */
  report(id: string, outcome: Outcome, now: number): void {
    const passive = this.settings.passive;
    const e = this.entries.get(id);
    if (!passive || !e || e.ejectedUntil !== 0) return;
    if (outcome === 'success') {
      e.failures = 0;
      return;
    }
    if (!passive.failOn.includes(outcome) || ++e.failures < passive.consecutiveFailures) return;
    const inDc = [...this.entries.values()].filter((x) => x.datacenter === e.datacenter);
    const capped = !ejectionAllowed(inDc.filter((x) => x.ejectedUntil !== 0).length, inDc.length, passive.maxEjectedPercent);
    if (capped && !this.failingTogether(e, inDc)) return;
    const length = ejectionLength(e.ejections, passive);
    this.eject(id, now + length, `${passive.consecutiveFailures} ${outcome} failures in a row; ejected for ${length / 1000}s`, now);
  }

  /**
   * The percentage cap keeps a data center serving when only some of its servers fail. When every
   * server of it still taking traffic is failing and the service has another data center, the cap
   * yields: the whole data center is ejected, so it counts as down and new sessions (and a failover
   * to a standby) go elsewhere, without waiting for its monitors.
   */
  private failingTogether(e: Entry, inDc: readonly Entry[]): boolean {
    if (inDc.length === this.entries.size) return false;
    return inDc.every((x) => x === e || x.ejectedUntil !== 0 || !x.eligible || x.failures > 0);
  }

  /**
   * Ejects `id` until `until`: passive health here, or in another worker of the group (which
   * found the failures; the whole group then stops sending to the server). A later end wins.
   */
  eject(id: string, until: number, reason: string, now: number): void {
    const e = this.entries.get(id);
    if (!e || until <= now || e.ejectedUntil >= until) return;
    const was = e.ejectedUntil;
    e.ejectedUntil = until;
    e.failures = 0;
    if (was !== 0) return;
    e.ejections++;
    this.derive(e, now);
    this.emit('ejected', e, 'up', 'down', reason, now);
  }

  /**
   * Time-driven changes: ejections that end, ramps that finish, drains whose sessions are gone.
   * `remaining(id)` is the sessions and requests still on a server.
   */
  tick(now: number, remaining: (id: string) => number): void {
    const passive = this.settings.passive;
    for (const e of this.entries.values()) {
      if (e.ejectedUntil !== 0 && now >= e.ejectedUntil) {
        e.ejectedUntil = 0;
        e.reinstatedAt = now;
        this.derive(e, now);
        this.emit('reinstated', e, 'down', this.health(e.id), 'ejection over', now);
      }
      if (passive && e.ejections > 0 && e.ejectedUntil === 0 && now - e.reinstatedAt >= passive.maxEjectFor) e.ejections = 0;
      if (e.rampFrom !== undefined && now - e.rampFrom >= this.settings.slowStart) {
        this.setRamp(e, undefined);
        this.emit('slow-start-done', e, 'ramping', 'full weight', `slow start of ${this.settings.slowStart / 1000}s over`, now);
      }
      if (e.admin === 'draining' && !e.drainDone && remaining(e.id) === 0) {
        e.drainDone = true;
        this.emit('drain-complete', e, 'draining', 'drained', 'no session or request left on the server', now);
      }
    }
  }

  /**
   * A reload: servers that remain keep what is known of them (health, ejection, ramp, drain), and
   * their admin state unless `adminFromConfig` names them (their configured state changed); new
   * servers start as configured; removed ones are forgotten.
   */
  reconcile(servers: readonly TableServer[], settings: HealthSettings, adminFromConfig: ReadonlySet<string>, now: number): void {
    this.settings = settings;
    const kept = new Set(servers.map((s) => s.id));
    for (const e of [...this.entries.values()]) {
      if (kept.has(e.id)) continue;
      this.setRamp(e, undefined);
      if (e.eligible) this.countEligible(e, -1);
      this.entries.delete(e.id);
    }
    for (const s of servers) {
      const e = this.entries.get(s.id);
      if (!e) {
        this.add(s, now);
        continue;
      }
      // Counted again under its new data center and role.
      if (e.eligible) this.countEligible(e, -1);
      e.datacenter = s.datacenter;
      e.backup = s.backup;
      if (e.eligible) this.countEligible(e, 1);
      e.assume = s.assume;
      this.derive(e, now);
      if (adminFromConfig.has(s.id)) this.setAdmin(s.id, s.admin, 'configured state changed by a reload', now);
    }
  }

  /** What monitors last said of `id` (unknown before any verdict): where a restarted scheduler begins. */
  monitored(id: string): HealthState {
    return this.entry(id).monitored;
  }

  /** What is known of `id`, for the admin API and metrics. */
  describe(id: string, now: number): ServerHealth {
    const e = this.entry(id);
    return {
      admin: e.admin,
      health: this.health(id),
      ejectedUntil: e.ejectedUntil === 0 ? undefined : e.ejectedUntil,
      weightFactor: this.weightFactor(id, now),
      drainingSince: e.admin === 'draining' ? e.drainFrom : undefined,
      drained: e.admin === 'draining' && e.drainDone,
      acceptsNew: this.acceptsNew(id),
      healthSince: e.healthSince,
    };
  }

  // --- internals ---

  private add(s: TableServer, now: number): void {
    const entry = new Entry(s.id, s.datacenter, s.backup, s.admin, s.assume);
    if (s.admin === 'draining') entry.drainFrom = now;
    this.entries.set(s.id, entry);
    this.derive(entry, now);
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new Error(`no server ${id} in service ${this.service}`);
    return e;
  }

  /** Recomputes what a server may do, starts its ramp when it comes back, and the per-DC counts. */
  private derive(e: Entry, now: number): void {
    const health = e.ejectedUntil !== 0 ? 'down' : e.monitored;
    if (health !== e.shownHealth || e.healthSince === 0) {
      e.shownHealth = health;
      e.healthSince = now;
    }
    const was = e.eligible;
    e.existing = e.healthy && e.admin !== 'disabled';
    e.eligible = e.healthy && e.admin === 'enabled';
    if (e.eligible && !was && e.everEligible && this.settings.slowStart > 0) this.setRamp(e, now);
    if (!e.eligible) this.setRamp(e, undefined);
    e.everEligible ||= e.eligible;
    if (e.eligible !== was) this.countEligible(e, e.eligible ? 1 : -1);
  }

  /** Kept as each server changes, not counted over all of them (1,000 servers coming up at start made that quadratic). */
  private countEligible(e: Entry, delta: 1 | -1): void {
    const counts = e.backup ? this.backupsUp : this.primariesUp;
    counts.set(e.datacenter, (counts.get(e.datacenter) ?? 0) + delta);
  }

  private setRamp(e: Entry, from: number | undefined): void {
    this.rampingCount += (from === undefined ? 0 : 1) - (e.rampFrom === undefined ? 0 : 1);
    e.rampFrom = from;
  }

  private emit(type: EventType, e: Entry, from: string, to: string, reason: string, now: number): void {
    this.events.emit({ at: now, type, service: this.service, server: e.id, from, to, reason });
  }
}
