// A worker's line to the primary (the control plane): applies the monitors' verdicts and the
// failover decisions the primary sends, carries operator commands both ways, passes ejections both ways (passive health seen by one worker holds for
// the group), reports its load about once a second, and answers what the admin API asks of it (its
// traffic and metrics, a reload). Answers are bounded in time: a primary that does not answer never
// holds a worker up.
import type { ReloadOutcome } from '../admin/control.ts';
import type { EventLog } from '../core/events.ts';
import type { MetricsJson } from '../observe/group-metrics.ts';
import type { TrafficWindow } from '../observe/server-stats.ts';
import type { Topology } from '../topology/topology.ts';
import type { CommandChannel } from '../state/stores.ts';
import { isControlMessage, type ControlMessage, type LoadMessage } from './messages.ts';

const LOAD_EVERY_MS = 1000;
/** A load unchanged since the last report is sent again after this long, all the same. */
const LOAD_AT_LEAST_EVERY_MS = 10_000;

/** What the worker is made of, as the link needs it once the worker is built. */
export interface WorkerParts {
  readonly topology: Topology;
  readonly events: EventLog;
  readonly listeners: readonly { readonly name: string; readonly url: string }[];
  activity(): { readonly requests: number; readonly tunnels: number };
  /** This worker's recent traffic and metrics (empty without admin:, which keeps none). */
  report(): Promise<{ readonly traffic: readonly TrafficWindow[]; readonly metrics: MetricsJson }>;
  /** Reads the config file again (off the event loop) and applies it. */
  reload(): Promise<ReloadOutcome>;
}

export class PrimaryLink {
  private readonly commandListeners: ((command: string) => void)[] = [];
  /** Where verdicts apply; until it is attached, the primary has not been greeted and sends none that matter. */
  private parts: WorkerParts | undefined;
  /** An ejection the primary sent is being applied: not one to send back. */
  private applying = false;
  private lastLoad = '';
  private lastLoadAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number) {
    process.on('message', (message: unknown) => {
      if (isControlMessage(message)) this.heard(message);
    });
  }

  /** The worker is built and listens: greet the primary, which answers with the verdicts so far. */
  attach(parts: WorkerParts): void {
    this.parts = parts;
    parts.events.subscribe((event) => {
      if (event.type !== 'ejected' || this.applying || event.service === undefined || event.server === undefined) return;
      const until = parts.topology.handles.get(event.service)?.health.describe(event.server, event.at).ejectedUntil;
      if (until !== undefined) this.send({ mooring: 'control-ejected', service: event.service, server: event.server, until, reason: event.reason });
    });
    this.send({ mooring: 'control-hello', listeners: parts.listeners });
    this.timer = setInterval(() => this.reportLoad(), LOAD_EVERY_MS);
    this.timer.unref();
  }

  /** The worker stops: no more reports. */
  detach(): void {
    clearInterval(this.timer);
  }

  readonly commands: CommandChannel = {
    send: (command) => this.send({ mooring: 'control-command', command }),
    receive: (listener) => this.commandListeners.push(listener),
  };

  private heard(message: ControlMessage): void {
    const parts = this.parts;
    switch (message.mooring) {
      case 'control-health':
        parts?.topology.handles.get(message.service)?.health.setMonitored(message.server, message.state, message.reason, this.now());
        return;
      case 'control-command':
        for (const listener of this.commandListeners) listener(message.command);
        return;
      case 'control-failover':
        parts?.topology.handles.get(message.service)?.failover?.follow(message.decisions);
        return;
      case 'control-ejected':
        this.applying = true;
        try {
          parts?.topology.handles.get(message.service)?.health.eject(message.server, message.until, message.reason, this.now());
        } finally {
          this.applying = false;
        }
        return;
      case 'control-report-ask':
        if (!parts) return;
        void parts.report().then(
          (r) => this.send({ mooring: 'control-report', id: message.id, traffic: r.traffic, metrics: r.metrics }),
          () => this.send({ mooring: 'control-report', id: message.id, traffic: [], metrics: [] }),
        );
        return;
      case 'control-reload':
        if (parts) void parts.reload().then((outcome) => this.send({ mooring: 'control-reloaded', id: message.id, outcome }));
        return;
      default:
        return;
    }
  }

  /** Requests under way and waiting per server, when they changed since the last report (or it is old). */
  private reportLoad(): void {
    const parts = this.parts;
    if (!parts) return;
    const inflight: [string, string, number][] = [];
    const queued: [string, string, number][] = [];
    for (const handle of parts.topology.handles.values()) {
      for (const s of handle.current.servers) if (s.load.inflight > 0) inflight.push([handle.name, s.id, s.load.inflight]);
      for (const [server, n] of handle.queue.countsByServer()) queued.push([handle.name, server, n]);
    }
    const { requests, tunnels } = parts.activity();
    const message: LoadMessage = { mooring: 'control-load', inflight, queued, requests, tunnels };
    const text = JSON.stringify(message);
    const now = this.now();
    if (text === this.lastLoad && now - this.lastLoadAt < LOAD_AT_LEAST_EVERY_MS) return;
    this.lastLoad = text;
    this.lastLoadAt = now;
    this.send(message);
  }

  private send(message: ControlMessage): void {
    if (process.connected) process.send!(message, undefined, undefined, () => undefined);
  }
}
