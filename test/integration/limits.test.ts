// Client-side limits: slow request heads (408), oversized headers (431), URLs (414) and bodies (413).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { portOf, rawExchange, startBackend, startMooring, type Backend } from '../helpers.ts';
import type { App } from '../../src/app.ts';

describe('limits', () => {
  let backend: Backend;
  let app: App;
  before(async () => {
    backend = await startBackend('a');
    app = await startMooring([backend], {
      top: { timeouts: { header: '400ms' }, limits: { maxHeaderBytes: 2048, maxUrlBytes: 256, maxBodyBytes: 1000 } },
    });
  });
  after(async () => {
    await app?.stop();
    await backend?.close();
  });

  it('a request head that arrives too slowly gets 408 within the header timeout', async () => {
    const started = Date.now();
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(portOf(app), '127.0.0.1');
      let text = '';
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
      // A slowloris trickle: one header byte at a time, never finishing the head.
      const trickle = setInterval(() => socket.write('X'), 50);
      const giveUp = setTimeout(() => socket.destroy(), 5000);
      socket.on('data', (c) => (text += c.toString()));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(trickle);
        clearTimeout(giveUp);
        resolve(text);
      });
    });
    assert.match(reply, /^HTTP\/1\.1 408 /);
    assert.ok(Date.now() - started < 2500, `took ${Date.now() - started} ms`);
  });

  it('an oversized header gets 431', async () => {
    const reply = await rawExchange(portOf(app), `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(4096)}\r\n\r\n`);
    assert.match(reply, /^HTTP\/1\.1 431 /);
  });

  it('an oversized URL gets 414', async () => {
    const reply = await rawExchange(portOf(app), `GET /${'u'.repeat(300)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(reply, /^HTTP\/1\.1 414 /);
    assert.match(reply, /mooring-error: MOORING_URL_TOO_LONG/);
  });

  it('an oversized body gets 413, by Content-Length or while streaming chunks', async () => {
    const seen = backend.seen.length;
    const declared = await rawExchange(portOf(app), 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n');
    assert.match(declared, /^HTTP\/1\.1 413 /);
    assert.equal(backend.seen.length, seen, 'refused before reaching a server');
    const chunk = `3e8\r\n${'c'.repeat(1000)}\r\n`;
    const streamed = await rawExchange(portOf(app), `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.repeat(3)}0\r\n\r\n`);
    assert.match(streamed, /^HTTP\/1\.1 413 /);
    assert.match(streamed, /mooring-error: MOORING_BODY_TOO_LARGE/);
  });

  it('a body within the limit passes', async () => {
    const reply = await rawExchange(portOf(app), `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n${'k'.repeat(1000)}`);
    assert.match(reply, /^HTTP\/1\.1 200 /);
  });
});
