// What persistence and key-based balancing read of a request, without node's lazily built
// req.headers object (building it costs more than the few look-ups these need).
import type { KeyRequest } from '../balancer/key.ts';
import type { PersistRequest } from '../persistence/types.ts';

export class RequestView implements PersistRequest, KeyRequest {
  constructor(
    private readonly raw: readonly string[],
    readonly clientIp: string,
    readonly cookie: string | undefined,
    readonly url: string,
    readonly secure: boolean,
    readonly now: number,
  ) {}

  header(name: string): string | undefined {
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) {
      const key = raw[i]!;
      if (key.length === name.length && key.toLowerCase() === name) return raw[i + 1];
    }
    return undefined;
  }
}
