// What a listener's request handlers share: the service they serve and the process-wide settings.
import type { BlockList, Socket } from 'node:net';
import type { Limits, Timeouts } from '../config/schema.ts';
import type { ServiceHandle } from '../topology/snapshot.ts';
import type { Logger } from '../log.ts';
import type { DeadlineList } from './deadlines.ts';
import type { RecordSink } from '../observe/record.ts';

export interface ListenerContext {
  readonly listener: string;
  readonly proto: 'http' | 'https';
  readonly service: ServiceHandle;
  readonly trusted: BlockList;
  /** Whether any trusted proxy is configured (skips the BlockList check when not). */
  readonly trustsProxies: boolean;
  readonly limits: Limits;
  readonly timeouts: Timeouts;
  readonly log: Logger;
  /** Requests and tunnels under way, across all listeners: what a graceful stop waits for. */
  readonly activity: Activity;
  /** Upstream calls' overall deadlines (timeouts.connect + timeouts.response + 1 s), process-wide. */
  readonly deadlines: DeadlineList;
  /** Where finished requests and tunnels are recorded (the access log); undefined: nowhere. */
  readonly records: RecordSink | undefined;
}

export interface Activity {
  requests: number;
  readonly tunnels: Set<Socket>;
}
