// type: http — one request per probe on a fresh connection (so a server that stops accepting is
// seen), no redirects followed; passes when the status is in `expect.status` and, when set, the
// body (its first 64 KiB) contains `expect.body` or matches it as /regex/.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { abortedDetail, type MonitorKind, type ProbeResult } from './monitor.ts';
import type { MonitorConfig } from './schema.ts';

/** Most body bytes read for a body expectation. */
const BODY_LIMIT = 65_536;

function statusOk(status: number, ranges: readonly (readonly [number, number])[]): boolean {
  return ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= BODY_LIMIT) res.destroy();
    });
    const done = () => resolve(Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8'));
    res.on('end', done);
    res.on('close', done);
    res.on('error', reject);
  });
}

async function judge(res: IncomingMessage, config: MonitorConfig): Promise<ProbeResult> {
  const status = res.statusCode ?? 0;
  const { body } = config.expect;
  if (!statusOk(status, config.expect.status)) {
    res.destroy();
    return { ok: false, detail: `status ${status}` };
  }
  if (body === undefined || config.method === 'HEAD') {
    res.destroy();
    return { ok: true, detail: `status ${status}` };
  }
  const text = await readBody(res);
  const found = typeof body === 'string' ? text.includes(body) : body.test(text);
  return found ? { ok: true, detail: `status ${status}, body matched` } : { ok: false, detail: `status ${status}, body does not match ${String(body)}` };
}

export const httpMonitor: MonitorKind = {
  type: 'http',
  build(config) {
    return {
      label: `http ${config.method} ${config.path}`,
      probe(origin, signal) {
        const url = new URL(origin);
        const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
        const headers = { 'user-agent': 'mooring-health', ...config.headers, host: config.host ?? url.host, connection: 'close' };
        return new Promise<ProbeResult>((resolve) => {
          const req = send({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, method: config.method, path: config.path, headers, agent: false, signal });
          req.once('response', (res) => {
            judge(res, config).then(resolve, (err: Error) => resolve({ ok: false, detail: signal.aborted ? abortedDetail(signal, config.timeout) : `reading the answer: ${err.message}` }));
          });
          req.once('error', (err: NodeJS.ErrnoException) => {
            resolve({ ok: false, detail: signal.aborted ? abortedDetail(signal, config.timeout) : `${err.code ?? err.message}` });
          });
          req.end();
        });
      },
    };
  },
};
