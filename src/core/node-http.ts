// node:http, loaded through require: on Node 24 and later an ESM import of it reads every export,
// and its lazy WebSocket, CloseEvent and MessageEvent getters load node's bundled undici (several
// MiB of memory) that Mooring never uses. Types still come from `import type`.
import { createRequire } from 'node:module';

export const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
