// A soak test's backend, run as its own process so the soak can kill -9, stop and restart it:
// `node --import tsx backend-process.ts NAME PORT`. Answers every request with its name, tells the
// client which server it left if Mooring moved it (the Mooring-Migrated-From it received), and
// answers /health with 200, or 503 while told to fail (POST /soak/health?up=0 sent to it directly).
import { createServer } from 'node:http';

const [name, portText] = process.argv.slice(2);
if (!name || !portText) {
  process.stderr.write('usage: backend-process.ts NAME PORT\n');
  process.exit(2);
}
let healthy = true;

const server = createServer((req, res) => {
  if (req.url?.startsWith('/soak/health')) {
    healthy = !req.url.endsWith('up=0');
    res.end(healthy ? 'up' : 'down');
    return;
  }
  if (req.url === '/health') {
    res.statusCode = healthy ? 200 : 503;
    res.end(healthy ? 'ok' : 'failing');
    return;
  }
  let size = 0;
  req.on('data', (chunk: Buffer) => (size += chunk.length));
  req.on('end', () => {
    const moved = req.headers['mooring-migrated-from'];
    res.setHeader('x-served-by', name);
    if (typeof moved === 'string') res.setHeader('x-migrated-from', moved);
    res.end(req.method === 'POST' ? `${name} ${size}` : name);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portText), '127.0.0.1', () => process.stdout.write('ready\n'));
