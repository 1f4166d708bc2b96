// type: http — one request per probe, no redirects followed; passes when the status is in
// `expect.status` and, when set, the body (its first 64 KiB) contains `expect.body` or matches it
// as /regex/. Probes of one (server, monitor) reuse one keep-alive connection, as Envoy's checks do:
// a fresh connection per probe costs ~2× the CPU (measured in bench/probe-cpu.ts). A dead server
// closes that connection and the next probe connects anew; a reused connection that turns out
// closed is retried once on a fresh one, so a keep-alive race never counts as a failure.
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { http } from '../core/node-http.ts';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { MonitorKind, ProbeResult } from './monitor.ts';
import type { MonitorConfig } from './schema.ts';

/** Most body bytes read for a body expectation. */
const BODY_LIMIT = 65_536;

function statusOk(status: number, ranges: readonly (readonly [number, number])[]): boolean {
  return ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

/** The body's first BODY_LIMIT bytes, as text (the rest is dropped with the connection). */
function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => resolve(Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8'));
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= BODY_LIMIT) {
        res.destroy();
        done();
      }
    });
    res.on('end', done);
    res.on('error', done);
  });
}

async function judge(res: IncomingMessage, config: MonitorConfig): Promise<ProbeResult> {
  const status = res.statusCode ?? 0;
  const { body } = config.expect;
  const text = body === undefined || config.method === 'HEAD' ? (res.resume(), undefined) : await readBody(res);
  if (!statusOk(status, config.expect.status)) return { ok: false, detail: `status ${status}` };
  if (text === undefined || body === undefined) return { ok: true, detail: `status ${status}` };
  const found = typeof body === 'string' ? text.includes(body) : body.test(text);
  return found ? { ok: true, detail: `status ${status}, body matched` } : { ok: false, detail: `status ${status}, body does not match ${String(body)}` };
}

export const httpMonitor: MonitorKind = {
  type: 'http',
  build(config) {
    // One connection per (server, monitor): the monitor is built once per server.
    const agentOptions = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1 };
    let agent: Agent | undefined;
    return {
      label: `http ${config.method} ${config.path}`,
      probe(origin, signal) {
        const url = new URL(origin);
        const tls = url.protocol === 'https:';
        agent ??= tls ? new HttpsAgent(agentOptions) : new http.Agent(agentOptions);
        const headers = { 'user-agent': 'mooring-health', ...config.headers, host: config.host ?? url.host };
        const options = { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, method: config.method, path: config.path, headers, agent };
        return new Promise<ProbeResult>((resolve) => {
          let req: ClientRequest | undefined;
          let settled = false;
          const finish = (result: ProbeResult) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            signal.removeEventListener('abort', stop);
            resolve(result);
          };
          const cut = (detail: string) => {
            finish({ ok: false, detail });
            req?.destroy();
          };
          const timer = setTimeout(cut, config.timeout, `no answer within ${config.timeout}ms`);
          const stop = () => cut('stopped');
          signal.addEventListener('abort', stop, { once: true });
          const send = (retry: boolean) => {
            const current = (req = (tls ? httpsRequest : http.request)(options));
            current.once('response', (res) => void judge(res, config).then(finish));
            current.once('error', (err: NodeJS.ErrnoException) => {
              if (retry && current.reusedSocket && err.code === 'ECONNRESET') return send(false);
              finish({ ok: false, detail: err.code ?? err.message });
            });
            current.end();
          };
          send(true);
        });
      },
      close() {
        agent?.destroy();
      },
    };
  },
};
