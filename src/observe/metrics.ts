// Every metric of one process (no workers, or the tests' App): its traffic and its control
// plane's state in one exposition. docs/metrics.md lists every name.
import { Registry } from 'prom-client';
import type { MooringEvent } from '../core/events.ts';
import type { ServiceHandle } from '../topology/service.ts';
import type { RequestRecord } from './record.ts';
import { StateMetrics } from './state-metrics.ts';
import { TrafficMetrics } from './traffic-metrics.ts';
import type { ListenerFact } from './listener-metrics.ts';

export class Metrics {
  readonly traffic: TrafficMetrics;
  readonly state: StateMetrics;
  private readonly registry: Registry;

  constructor(
    runtimes: () => Iterable<ServiceHandle>,
    now: () => number = Date.now,
    storeUp: () => boolean | undefined = () => undefined,
    listeners: () => readonly ListenerFact[] = () => [],
  ) {
    this.traffic = new TrafficMetrics(listeners);
    this.state = new StateMetrics(runtimes, now, storeUp);
    this.registry = Registry.merge([this.traffic.registry, this.state.registry]);
  }

  readonly sink = (records: readonly RequestRecord[]): void => this.traffic.sink(records);

  readonly onEvent = (event: MooringEvent): void => this.state.onEvent(event);

  /** Drops the series of servers no longer configured (after a reload). */
  prune(keep: (service: string, server: string) => boolean): void {
    this.traffic.prune(keep);
    this.state.prune(keep);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
