// Instances as vantage points (`quorum: { across: instances }`): each instance's monitors give its
// own verdict on a server; the verdicts meet in Redis, and every instance applies the group's
// verdict: down once `required` of the instances that voted recently see it down, up once that can
// no longer happen. So one instance cut off from a server does not take it down for all. Votes are
// re-sent every second and count for STALE_MS (an instance that stops voting stops counting);
// while Redis is unreachable, an instance goes by its own verdict.
import type { RedisLink } from '../state/redis-link.ts';
import { quorum, votesNeeded, type Required } from './quorum.ts';
import type { HealthState, HealthTable } from './table.ts';
import type { VerdictSink } from './scheduler.ts';

/** How long a vote counts without being sent again. */
export const STALE_MS = 10_000;
const EVERY_MS = 1000;

interface Verdict {
  state: HealthState;
  reason: string;
}

export class InstanceVotes implements VerdictSink {
  private readonly mine = new Map<string, Verdict>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly link: RedisLink,
    private readonly service: string,
    private readonly required: Required,
    private readonly table: HealthTable,
    private readonly now: () => number,
  ) {
    this.timer = setInterval(() => this.exchange(), EVERY_MS);
    this.timer.unref();
  }

  /** This instance's monitors changed their verdict on `server`. */
  verdict(server: string, state: HealthState, reason: string): void {
    this.mine.set(server, { state, reason });
    if (!this.link.up) return this.apply(server, [state], reason);
    this.send(server, state);
    void this.read(server);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private key(server: string): string {
    return this.link.key('votes', this.service, server);
  }

  private send(server: string, state: HealthState): void {
    const key = this.key(server);
    const fail = (err: Error) => this.link.complain(err);
    this.link.client.hSet(key, this.link.instance, `${state}\n${this.now()}`).catch(fail);
    this.link.client.pExpire(key, STALE_MS * 2).catch(fail);
  }

  /** Every second: this instance's verdicts sent again, everyone's read and applied. */
  private exchange(): void {
    for (const [server, verdict] of this.mine) {
      if (!this.link.up) this.apply(server, [verdict.state], verdict.reason);
      else {
        this.send(server, verdict.state);
        void this.read(server);
      }
    }
  }

  private async read(server: string): Promise<void> {
    const votes = await this.link.bounded(this.link.client.hGetAll(this.key(server))).catch((err: Error) => {
      this.link.complain(err);
      return undefined;
    });
    const mine = this.mine.get(server);
    if (!mine) return;
    const fresh: HealthState[] = [mine.state];
    const since = this.now() - STALE_MS;
    for (const [instance, value] of Object.entries(votes ?? {})) {
      if (instance === this.link.instance) continue;
      const [state, at] = value.split('\n');
      if ((state === 'up' || state === 'down' || state === 'unknown') && Number(at) >= since) fresh.push(state);
    }
    this.apply(server, fresh, mine.reason);
  }

  private apply(server: string, votes: HealthState[], reason: string): void {
    const state = quorum(votes, this.required);
    const down = votes.filter((v) => v === 'down').length;
    const tally = votes.length > 1 ? `; ${down} of ${votes.length} instances see it down, ${votesNeeded(this.required, votes.length)} needed` : '';
    this.table.setMonitored(server, state, `${reason}${tally}`, this.now());
  }
}
