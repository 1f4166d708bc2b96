// Which upstream client a service gets: Mooring's own over node's llhttp parser, or undici's when
// that parser is missing or misbehaves in this Node.js (it is internal to Node), or when
// MOORING_UPSTREAM=undici asks for it (a way back should the own client ever misbehave somewhere).
import type { ClientSettings, UpstreamClient } from './client.ts';
import { Http1Client } from './http1-client.ts';
import { nativeParser } from './llhttp.ts';
import { UndiciClient } from './undici-client.ts';

export type UpstreamClientKind = 'mooring' | 'undici';

export function upstreamClientKind(env: NodeJS.ProcessEnv = process.env): UpstreamClientKind {
  if (env.MOORING_UPSTREAM === 'undici') return 'undici';
  return nativeParser() ? 'mooring' : 'undici';
}

export function makeUpstreamClient(settings: ClientSettings): UpstreamClient {
  const parser = upstreamClientKind() === 'mooring' ? nativeParser() : undefined;
  return parser ? new Http1Client(settings, parser) : new UndiciClient(settings);
}
