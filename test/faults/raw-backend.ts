// A misbehaving backend on a raw socket: it reads one request head and answers however the test
// says (bytes it would never be allowed to send through node:http), then closes or not.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RawBackend {
  readonly url: string;
  readonly server: Server;
  /** Request heads received, in order. */
  readonly heads: string[];
  /** Sockets still open. */
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

/** `answer(head, socket)` is called for each request head (bytes up to the blank line). */
export async function rawBackend(answer: (head: string, socket: Socket) => void): Promise<RawBackend> {
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        heads.push(head);
        answer(head, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    heads,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
