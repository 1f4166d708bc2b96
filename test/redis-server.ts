// A redis-server of a test's own, on a free loopback port, that the test may kill and start again
// (outage tests never touch the machine's shared Redis on 6379); a replica of it; a sentinel
// that watches it; and a relay in front of it that holds subscriptions or published messages back.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export class OwnRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly extra: readonly string[],
  ) {}

  /** `extra`: more redis-server arguments (e.g. ['--replicaof', '127.0.0.1', '6390']). */
  static async start(extra: readonly string[] = []): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort(), extra);
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (again, empty) on the same port; resolves once it accepts connections (at most 5 s). */
  async restart(): Promise<void> {
    this.child = await startUntilReady(['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.extra], /Ready to accept connections/, `redis-server on ${this.port}`);
  }

  /** Kills it at once (a crash: no goodbye to clients). */
  async kill(): Promise<void> {
    await killNow(this.child);
  }
}

/**
 * A loopback relay to a Redis on `target` that can hold pub/sub back. While it holds
 * subscriptions (from the start, unless told otherwise, until `release()`), every connection's
 * SUBSCRIBE and all that connection sends after it wait: a client connected through it has its
 * commands answered but hears no published message, as when its subscriber is slow to connect.
 * While it holds messages (`holdMessages()` until `releaseMessages()`), what Redis sends to a
 * subscribed connection waits: published messages arrive late, as over a slow link.
 */
export class SubscribeGate {
  private readonly held = new Map<Socket, Buffer[]>();
  private readonly sockets = new Set<Socket>();
  /** Subscribed connections (toward the client), and what Redis sent them while messages are held. */
  private readonly subscribers = new Map<Socket, Buffer[]>();
  private holding: boolean;
  private holdingMessages = false;

  private constructor(
    private readonly server: Server,
    holdSubscribes: boolean,
  ) {
    this.holding = holdSubscribes;
  }

  static async start(target: number, { holdSubscribes = true } = {}): Promise<SubscribeGate> {
    const server = createServer();
    const gate = new SubscribeGate(server, holdSubscribes);
    server.on('connection', (client) => gate.relay(client, target));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return gate;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Connections whose SUBSCRIBE is held now. */
  get holds(): number {
    return this.held.size;
  }

  /** Connections that have subscribed. */
  get subscribed(): number {
    return this.subscribers.size;
  }

  /** Lets every held SUBSCRIBE through, and everything after it. */
  release(): void {
    this.holding = false;
    for (const [upstream, chunks] of this.held) for (const chunk of chunks) upstream.write(chunk);
    this.held.clear();
  }

  /** From now on, what Redis sends to subscribed connections waits. */
  holdMessages(): void {
    this.holdingMessages = true;
  }

  /** Delivers the held messages, and lets later ones through. */
  releaseMessages(): void {
    this.holdingMessages = false;
    for (const [client, chunks] of this.subscribers) for (const chunk of chunks.splice(0)) client.write(chunk);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((r) => this.server.close(r));
  }

  private relay(client: Socket, target: number): void {
    const upstream = connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.held.delete(upstream);
        this.subscribers.delete(client);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on('data', (chunk: Buffer) => {
      const waiting = this.subscribers.get(client);
      if (waiting && this.holdingMessages) waiting.push(chunk);
      else client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      const subscribing = /SUBSCRIBE/i.test(chunk.toString('latin1'));
      if (subscribing && !this.subscribers.has(client)) this.subscribers.set(client, []);
      const held = this.held.get(upstream);
      if (held) return void held.push(chunk);
      if (this.holding && subscribing) return void this.held.set(upstream, [chunk]);
      upstream.write(chunk);
    });
  }
}

/** A sentinel on a free port watching the master at `masterPort` as `name`: it declares it down after 500 ms and fails over at once (quorum 1). */
export class OwnSentinel {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(name: string, masterPort: number): Promise<OwnSentinel> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'mooring-sentinel-'));
    const file = join(dir, 'sentinel.conf');
    // The sentinel rewrites its file as it learns; it must be its own and writable.
    writeFileSync(file, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`, `sentinel down-after-milliseconds ${name} 500`, `sentinel failover-timeout ${name} 2000`, ''].join('\n'));
    const sentinel = new OwnSentinel(port, dir);
    sentinel.child = await startUntilReady([file, '--sentinel'], /Sentinel ID is|\+monitor master/, `redis-sentinel on ${port}`);
    return sentinel;
  }

  async kill(): Promise<void> {
    await killNow(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function killNow(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

/** Spawns redis-server with `args`; resolves once its output matches `ready` (at most 5 s). */
async function startUntilReady(args: readonly string[], ready: RegExp, what: string): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready in 5 s: ${out}`)), 5000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${out}`));
    });
  });
  await started;
  child.stdout!.resume();
  return child;
}

/** Removes every key a test wrote under `prefix` in the Redis at `url` (the machine's shared one by default). */
export async function forgetPrefix(prefix: string, url = 'redis://127.0.0.1:6379'): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length > 0) await client.del(keys);
  } finally {
    await client.close();
  }
}
