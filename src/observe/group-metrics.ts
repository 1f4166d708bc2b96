// The metrics of a group of workers, as the primary exposes them: the control plane's state once
// (its own view: health, sessions, the group's in-flight counts) plus every worker's traffic and
// process figures, added up by prom-client's cluster aggregation (counters and histograms summed,
// event-loop lag averaged, and so on, as each metric says). The primary's own process counts too.
import { AggregatorRegistry, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { registerProcessMetrics } from './process-metrics.ts';
import type { MooringEvent } from '../core/events.ts';
import type { ServiceHandle } from '../topology/service.ts';
import { StateMetrics } from './state-metrics.ts';

/** One process's metrics as prom-client's getMetricsAsJSON gives them (what a worker sends). */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export class GroupMetrics {
  readonly state: StateMetrics;
  private readonly own = new Registry();

  constructor(runtimes: () => Iterable<ServiceHandle>, now: () => number, storeUp: () => boolean | undefined) {
    this.state = new StateMetrics(runtimes, now, storeUp);
    registerProcessMetrics(this.own);
  }

  readonly onEvent = (event: MooringEvent): void => this.state.onEvent(event);

  readonly contentType = this.own.contentType;

  /** The exposition: the state here, and the sum of the primary's and the workers' figures. */
  async text(workers: readonly MetricsJson[]): Promise<string> {
    const [state, own] = await Promise.all([this.state.registry.getMetricsAsJSON(), this.own.getMetricsAsJSON()]);
    return AggregatorRegistry.aggregate([state, own, ...workers] as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
  }
}
