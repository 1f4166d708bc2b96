// Upgrade requests over node:http, for the undici-based client (undici's pool cannot hand a
// declined upgrade's answer over as an ordinary one): a connection of its own per upgrade, its
// progress told to the handler in Mooring's terms.
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { http } from '../core/node-http.ts';
import { socketFailure, UpstreamError, type ClientSettings, type UpgradeHandler, type UpstreamRequest, type UpstreamTarget } from './client.ts';

export function upgradeOverNodeHttp(target: UpstreamTarget, request: UpstreamRequest, handler: UpgradeHandler, settings: ClientSettings): void {
  const origin = new URL(target.origin);
  const req = (origin.protocol === 'https:' ? httpsRequest : http.request)({
    host: origin.hostname.replace(/^\[|\]$/g, ''),
    port: origin.port,
    method: request.method,
    path: request.path,
    headers: request.headers as string[],
    setHost: false,
    agent: false,
    timeout: settings.timeouts.connect + settings.timeouts.response,
  });
  let answered = false;
  let ended = false;
  const end = (err?: Error) => {
    if (ended) return false;
    ended = true;
    if (err) handler.onError(err);
    return true;
  };
  req.on('socket', (socket) =>
    socket.once('connect', () =>
      handler.onConnect((reason) => {
        if (end(reason)) req.destroy();
      }),
    ),
  );
  req.on('timeout', () => req.destroy(new UpstreamError('answer-timeout', 'no answer to the upgrade in time')));
  req.on('error', (err) => end(socketFailure(err, answered)));
  req.on('response', (res: IncomingMessage) => {
    answered = true;
    if (!handler.onHeaders(res.statusCode ?? 502, res.rawHeaders, () => res.resume())) res.pause();
    res.on('data', (chunk: Buffer) => {
      if (!ended && !handler.onData(chunk)) res.pause();
    });
    res.on('end', () => {
      if (end()) handler.onComplete();
    });
    res.on('close', () => {
      if (!res.complete) end(new UpstreamError('reset-mid-answer', 'the server closed the connection mid-answer'));
    });
  });
  req.on('upgrade', (res: IncomingMessage, socket, head: Buffer) => {
    if (end()) handler.onUpgrade(101, res.rawHeaders, socket, head);
    else socket.destroy();
  });
  req.end();
}
