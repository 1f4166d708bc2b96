// type: tcp — the server accepts a connection within the timeout; nothing is sent.
import { connect } from 'node:net';
import type { MonitorKind, ProbeResult } from './monitor.ts';
import { deadlinesFor, type Expiring } from './probe-deadlines.ts';

export const tcpMonitor: MonitorKind = {
  type: 'tcp',
  build(config) {
    return {
      label: 'tcp',
      probe(origin, stop, _tls, done) {
        const url = new URL(origin);
        const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
        const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
        const deadlines = deadlinesFor(config.timeout);
        let settled = false;
        const finish = (result: ProbeResult) => {
          if (settled) return;
          settled = true;
          deadlines.release(attempt);
          stop.removeEventListener('abort', onStop);
          socket.destroy();
          done(result);
        };
        const attempt: Expiring = { expiresAt: performance.now() + config.timeout, expire: () => finish({ ok: false, detail: `no connection within ${config.timeout}ms` }) };
        deadlines.add(attempt);
        const onStop = () => finish({ ok: false, detail: 'stopped' });
        stop.addEventListener('abort', onStop, { once: true });
        socket.once('connect', () => finish({ ok: true, detail: 'connected' }));
        socket.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, detail: `cannot connect: ${err.code ?? err.message}` }));
      },
    };
  },
};
