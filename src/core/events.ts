// Control-plane events (a server going down, a drain completing, …): kept in a bounded list for the
// admin API and handed to subscribers (the log) as they happen.

export type EventType =
  | 'up'
  | 'down'
  | 'ejected'
  | 'reinstated'
  | 'enabled'
  | 'draining'
  | 'disabled'
  | 'drain-complete'
  | 'slow-start-done'
  | 'weight'
  | 'reload'
  | 'reload-refused'
  | 'failover'
  | 'failback'
  | 'failback-waiting'
  | 'kickstart'
  | 'kickstart-failed'
  | 'key-flood';

export interface MooringEvent {
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly type: EventType;
  /** The service and server it concerns; absent for process-wide events (a reload). */
  readonly service?: string;
  readonly server?: string;
  /** The data center it concerns (failover, failback, kickstart). */
  readonly datacenter?: string;
  /** The state before and after, in the words of the state that changed (health or admin). */
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** Where an event happened, for a log line: `service/server`, `service`, or `mooring`. */
export function eventSubject(event: MooringEvent): string {
  if (event.service === undefined) return 'mooring';
  if (event.server !== undefined) return `${event.service}/${event.server}`;
  return event.datacenter === undefined ? event.service : `${event.service}@${event.datacenter}`;
}

export type EventListener = (event: MooringEvent) => void;

/** Events kept for the admin API by default; older ones are dropped first. */
export const DEFAULT_EVENT_LIMIT = 1000;

export class EventLog {
  private readonly kept: MooringEvent[] = [];
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly limit = DEFAULT_EVENT_LIMIT) {}

  emit(event: MooringEvent): void {
    this.kept.push(event);
    if (this.kept.length > this.limit) this.kept.splice(0, this.kept.length - this.limit);
    for (const listener of this.listeners) listener(event);
  }

  /** The kept events, oldest first. */
  recent(): readonly MooringEvent[] {
    return this.kept;
  }

  /** Calls `listener` for every later event; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
