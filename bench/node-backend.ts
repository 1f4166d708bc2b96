// A fast Node backend for the load benchmark when nginx is not installed: fixed 1 KB and 100 KB bodies.
import { createServer } from 'node:http';

const bodies: Record<string, Buffer> = { '/1k': Buffer.alloc(1024, 'x'), '/100k': Buffer.alloc(100 * 1024, 'y') };
for (const port of process.argv.slice(2).map(Number)) {
  createServer((req, res) => {
    const body = bodies[req.url ?? ''] ?? bodies['/1k']!;
    res.writeHead(200, ['content-type', 'application/octet-stream', 'content-length', String(body.length)]);
    res.end(body);
  })
    .listen(port, '127.0.0.1')
    .keepAliveTimeout = 75_000;
}
