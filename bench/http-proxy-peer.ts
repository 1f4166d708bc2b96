// The `http-proxy` package as a benchmark peer: round-robin over the backends, keep-alive agent.
import { createServer, Agent } from 'node:http';
import httpProxy from 'http-proxy';

const [portText, ...targets] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ agent });
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502);
  res.end();
});
let next = 0;
createServer((req, res) => proxy.web(req, res, { target: targets[next++ % targets.length] })).listen(Number(portText), '127.0.0.1');
