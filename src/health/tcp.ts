// type: tcp — the server accepts a connection within the timeout; nothing is sent.
import { connect } from 'node:net';
import { abortedDetail, type MonitorKind, type ProbeResult } from './monitor.ts';

export const tcpMonitor: MonitorKind = {
  type: 'tcp',
  build(config) {
    return {
      label: 'tcp',
      probe(origin, signal) {
        const url = new URL(origin);
        const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
        return new Promise<ProbeResult>((resolve) => {
          const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port, signal });
          socket.once('connect', () => {
            socket.destroy();
            resolve({ ok: true, detail: 'connected' });
          });
          socket.once('error', (err: NodeJS.ErrnoException) => {
            resolve({ ok: false, detail: signal.aborted ? abortedDetail(signal, config.timeout) : `cannot connect: ${err.code ?? err.message}` });
          });
        });
      },
    };
  },
};
