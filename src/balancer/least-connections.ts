// least-connections: the server with the fewest in-flight requests per unit of weight; among equals,
// the one picked longest ago, so they take turns. An indexed binary min-heap keeps the order, updated
// in O(log n) whenever a server's load changes (loadChanged), so a pick costs the same for 2 servers
// as for 1000. Ineligible servers are skipped by a best-first walk down the heap.
import { z } from 'zod';
import { defineBalancer, type PickContext } from './types.ts';
import type { Server } from '../core/server.ts';

class LoadHeap {
  private readonly heap: number[];
  private readonly position: Int32Array;
  private readonly lastPick: Float64Array;
  private ticks = 0;

  constructor(private readonly servers: readonly Server[]) {
    this.heap = servers.map((_, i) => i);
    this.position = Int32Array.from(this.heap);
    this.lastPick = new Float64Array(servers.length);
    for (let p = (this.heap.length >> 1) - 1; p >= 0; p--) this.down(p);
  }

  /** Whether server a should come before server b. */
  private before(a: number, b: number): boolean {
    const sa = this.servers[a]!;
    const sb = this.servers[b]!;
    const la = (sa.load.inflight + 1) * sb.weight;
    const lb = (sb.load.inflight + 1) * sa.weight;
    return la < lb || (la === lb && this.lastPick[a]! < this.lastPick[b]!);
  }

  private swap(p: number, q: number): void {
    const a = this.heap[p]!;
    const b = this.heap[q]!;
    this.heap[p] = b;
    this.heap[q] = a;
    this.position[b] = p;
    this.position[a] = q;
  }

  private up(p: number): void {
    while (p > 0) {
      const parent = (p - 1) >> 1;
      if (!this.before(this.heap[p]!, this.heap[parent]!)) return;
      this.swap(p, parent);
      p = parent;
    }
  }

  private down(p: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * p + 1;
      let best = p;
      if (l < n && this.before(this.heap[l]!, this.heap[best]!)) best = l;
      if (l + 1 < n && this.before(this.heap[l + 1]!, this.heap[best]!)) best = l + 1;
      if (best === p) return;
      this.swap(p, best);
      p = best;
    }
  }

  update(index: number): void {
    const p = this.position[index]!;
    this.up(p);
    this.down(this.position[index]!);
  }

  pick(ctx: PickContext): Server | undefined {
    const found = this.bestEligible(ctx);
    if (found === undefined) return undefined;
    this.lastPick[found] = ++this.ticks;
    this.update(found);
    return this.servers[found];
  }

  /** The root if eligible; else a best-first walk (the frontier is itself a small heap of positions). */
  private bestEligible(ctx: PickContext): number | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    if (ctx.eligible(this.servers[heap[0]!]!)) return heap[0];
    const frontier: number[] = [];
    const push = (p: number) => {
      if (p >= heap.length) return;
      frontier.push(p);
      for (let i = frontier.length - 1; i > 0 && this.before(heap[frontier[i]!]!, heap[frontier[i - 1]!]!); i--) {
        [frontier[i], frontier[i - 1]] = [frontier[i - 1]!, frontier[i]!];
      }
    };
    push(1);
    push(2);
    while (frontier.length > 0) {
      const p = frontier.shift()!;
      if (ctx.eligible(this.servers[heap[p]!]!)) return heap[p];
      push(2 * p + 1);
      push(2 * p + 2);
    }
    return undefined;
  }
}

export const leastConnections = defineBalancer({
  name: 'least-connections',
  options: z.strictObject({}),
  build(servers) {
    const heap = new LoadHeap(servers);
    // Positions in this balancer's own list (a data center's servers, say), not the service's.
    const position = new Map(servers.map((s, i) => [s, i]));
    return {
      pick: (ctx) => heap.pick(ctx),
      loadChanged: (server) => {
        const at = position.get(server);
        if (at !== undefined) heap.update(at);
      },
    };
  },
});
