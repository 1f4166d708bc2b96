// What a listener's request handlers share: where requests go (its rules and default service) and
// the process-wide settings.
// A reload replaces the fields in one synchronous step; a request reads each when it needs it.
import type { BlockList, Socket } from 'node:net';
import type { Limits, Timeouts } from '../config/schema.ts';
import type { ServiceHandle } from '../topology/service.ts';
import type { ListenerRouter } from '../rules/router.ts';
import type { Logger } from '../log.ts';
import type { DeadlineList } from './deadlines.ts';
import type { RecordTaker } from '../observe/record.ts';

export interface ListenerContext {
  readonly listener: string;
  readonly proto: 'http' | 'https';
  /** The listener's rules and default service: where each request goes. */
  router: ListenerRouter<ServiceHandle>;
  /** Named in records of requests answered before any service was chosen ('-' without a default). */
  defaultService: string;
  trusted: BlockList;
  /** Whether any trusted proxy is configured (skips the BlockList check when not). */
  trustsProxies: boolean;
  limits: Limits;
  timeouts: Timeouts;
  readonly log: Logger;
  /** Requests and tunnels under way, across all listeners: what a graceful stop waits for. */
  readonly activity: Activity;
  /** Upstream calls' overall deadlines (timeouts.connect + timeouts.response + 1 s), process-wide;
   *  an upstream call keeps the list it was added to (a reload may bring a new one). */
  deadlines: DeadlineList;
  /** Where finished requests and tunnels are recorded (the access log); undefined: nowhere. */
  records: RecordTaker | undefined;
}

export interface Activity {
  requests: number;
  readonly tunnels: Set<Socket>;
}
