// The contract every balancing algorithm passes: only eligible servers, undefined when none, and the
// expected spread over 3000 picks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { balancerFactory, balancerNames } from './registry.ts';
import type { Balancer } from './types.ts';
import { pickWithRamp } from './ramp.ts';
import { HealthTable } from '../health/table.ts';
import { EventLog } from '../core/events.ts';
import { makeServers, pickContext } from './test-servers.ts';
import { seededRandom, systemClock } from '../core/clock.ts';
import type { Server } from '../core/server.ts';

function build(name: string, weights: number[], options: Record<string, unknown> = {}) {
  const factory = balancerFactory(name)!;
  const servers = makeServers(weights);
  const balancer = factory.build(servers, factory.options.parse(options), { random: seededRandom(7), clock: systemClock });
  return { servers, balancer };
}

const ctx = pickContext;

function spread(balancer: Balancer, servers: Server[], picks: number, key?: (i: number) => string): number[] {
  const counts = servers.map(() => 0);
  for (let i = 0; i < picks; i++) counts[servers.indexOf(balancer.pick(ctx(undefined, key?.(i)))!)]!++;
  return counts;
}

for (const name of balancerNames) {
  describe(`balancer contract: ${name}`, () => {
    it('picks only eligible servers', () => {
      const { servers, balancer } = build(name, [1, 1, 1, 1]);
      for (let i = 0; i < 200; i++) {
        const s = balancer.pick(ctx((x) => x !== servers[1] && x !== servers[3], `k${i}`));
        assert.ok(s && (s === servers[0] || s === servers[2]), `picked ${s?.id}`);
      }
      assert.equal(servers.length, 4);
    });

    it('returns undefined when no server is eligible', () => {
      const { balancer } = build(name, [1, 1, 1]);
      assert.equal(balancer.pick(ctx(() => false, 'k')), undefined);
      assert.equal(balancer.pick(ctx(() => false)), undefined);
    });

    it('spreads 3000 picks evenly over 3 equal servers (within 5%)', () => {
      const { servers, balancer } = build(name, [1, 1, 1]);
      const counts = spread(balancer, servers, 3000, (i) => `user-${i}`);
      for (const c of counts) assert.ok(Math.abs(c - 1000) <= 50, `counts ${counts}`);
    });

    it('built over part of a service (one data center), picks only there and spreads evenly', () => {
      const service = makeServers([1, 1, 1, 1, 1, 1]);
      const dc = [service[4]!, service[1]!, service[5]!]; // any subset, in any order
      const factory = balancerFactory(name)!;
      const balancer = factory.build(dc, factory.options.parse({}), { random: seededRandom(3), clock: systemClock });
      const counts = new Map<string, number>();
      for (let i = 0; i < 3000; i++) {
        const picked = balancer.pick(ctx(undefined, `user-${i}`))!;
        picked.load.inflight++;
        balancer.loadChanged?.(picked);
        picked.load.inflight--;
        balancer.loadChanged?.(picked);
        counts.set(picked.id, (counts.get(picked.id) ?? 0) + 1);
      }
      assert.deepEqual([...counts.keys()].sort(), ['s1', 's4', 's5']);
      for (const c of counts.values()) assert.ok(Math.abs(c - 1000) <= 50, `counts ${[...counts]}`);
    });

    it('works with a single server', () => {
      const { balancer } = build(name, [1]);
      assert.equal(balancer.pick(ctx(undefined, 'k'))?.id, 's0');
    });
  });
}

describe('weights', () => {
  for (const name of ['weighted-round-robin', 'maglev']) {
    it(`${name} honours weights 1:1:3 within 5%`, () => {
      const { servers, balancer } = build(name, [1, 1, 3]);
      const picks = 30_000;
      const counts = spread(balancer, servers, picks, (i) => `user-${i}`);
      const expected = [0.2, 0.2, 0.6].map((f) => f * picks);
      counts.forEach((c, i) => assert.ok(Math.abs(c - expected[i]!) <= 0.05 * expected[i]!, `counts ${counts}`));
    });
  }

  it('weighted-round-robin interleaves rather than bursting (5,1,1)', () => {
    const { balancer } = build('weighted-round-robin', [5, 1, 1]);
    const order = Array.from({ length: 7 }, () => balancer.pick(ctx())!.id).join(' ');
    assert.equal(order, 's0 s0 s1 s0 s2 s0 s0');
  });

  it('least-connections prefers the server with the fewest in-flight requests per weight', () => {
    const { servers, balancer } = build('least-connections', [1, 1, 2]);
    const set = (i: number, n: number) => {
      servers[i]!.load.inflight = n;
      balancer.loadChanged?.(servers[i]!);
    };
    set(0, 3);
    set(1, 1);
    set(2, 3); // scores: 4, 2, 2 — servers 1 and 2 tie and take turns
    const picks = Array.from({ length: 20 }, () => servers.indexOf(balancer.pick(ctx())!));
    assert.ok(!picks.includes(0) && picks.includes(1) && picks.includes(2), `picks ${picks}`);
    set(2, 0);
    assert.equal(balancer.pick(ctx()), servers[2]);
  });

  it('least-connections always picks a least-loaded eligible server (random loads, 200 servers)', () => {
    const weights = Array.from({ length: 200 }, (_, i) => 1 + (i % 4));
    const { servers, balancer } = build('least-connections', weights);
    const rnd = seededRandom(42);
    const score = (s: Server) => (s.load.inflight + 1) / s.weight;
    for (let step = 0; step < 2000; step++) {
      const s = servers[rnd.int(servers.length)]!;
      s.load.inflight = rnd.int(20);
      balancer.loadChanged?.(s);
      const banned = new Set(Array.from({ length: rnd.int(50) }, () => rnd.int(servers.length)));
      const eligible = (x: Server) => !banned.has(servers.indexOf(x));
      const best = Math.min(...servers.filter(eligible).map(score));
      const picked = balancer.pick(ctx(eligible))!;
      assert.ok(eligible(picked) && score(picked) === best, `step ${step}: picked score ${score(picked)}, best ${best}`);
    }
  });

  it('two-random-choices avoids the busy server', () => {
    const { servers, balancer } = build('two-random-choices', [1, 1, 1]);
    servers[0]!.load.inflight = 50;
    balancer.loadChanged?.(servers[0]!);
    const counts = spread(balancer, servers, 3000);
    assert.ok(counts[0]! < 100, `busy server got ${counts[0]}`);
  });

  it('least-response-time prefers the faster server', () => {
    const { servers, balancer } = build('least-response-time', [1, 1, 1]);
    servers[0]!.load.ewmaTtfbMs = 50;
    servers[1]!.load.ewmaTtfbMs = 5;
    servers[2]!.load.ewmaTtfbMs = 20;
    const counts = spread(balancer, servers, 300);
    assert.deepEqual(counts, [0, 300, 0]);
  });
});

describe('slow start: every algorithm honours the ramp', () => {
  /** s0 came back at t=0 with a 40 s slow start; its share of 4000 new sessions at time `at`. */
  function shareAt(name: string, at: number): number {
    const { servers, balancer } = build(name, [1, 1, 1, 1]);
    const table = new HealthTable('svc', servers.map((s) => ({ id: s.id, datacenter: 'dc', backup: false, admin: 'enabled' as const, assume: 'up' as const })), { slowStart: 40_000, passive: undefined, drainDeadline: 0, drainRate: 1 }, new EventLog(), 0);
    table.setMonitored('s0', 'down', 'test', 0);
    table.setMonitored('s0', 'up', 'test', 0);
    const random = seededRandom(11);
    let s0 = 0;
    for (let i = 0; i < 4000; i++) {
      const picked = pickWithRamp(balancer, ctx(undefined, `user-${i}`, (s) => table.weightFactor(s.id, at)), random);
      if (picked!.id === 's0') s0++;
    }
    return s0 / 4000;
  }

  for (const name of balancerNames) {
    it(`${name}: about factor × the usual share while ramping, the full share after`, () => {
      const shares = [0, 10_000, 20_000, 40_000].map((at) => shareAt(name, at));
      // Ideal share with factor f among 3 others at full weight: f / (f + 3).
      const ideal = [0.1, 0.25, 0.5, 1].map((f) => f / (f + 3));
      shares.forEach((got, i) => assert.ok(got >= ideal[i]! * 0.6 && got <= ideal[i]! * 1.4, `shares ${shares.map((s) => s.toFixed(3))}, ideal ${ideal.map((s) => s.toFixed(3))}`));
    });
  }

  it('when every eligible server ramps, picks still succeed', () => {
    const { balancer } = build('round-robin', [1, 1]);
    const picks = Array.from({ length: 50 }, () => pickWithRamp(balancer, ctx(undefined, undefined, () => 0.1), seededRandom(3)));
    assert.ok(picks.every((p) => p !== undefined));
  });
});
