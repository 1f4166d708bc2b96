// Waking a standby data center: one call to its kickstart URL per failover, with Basic credentials,
// a timeout per try and retries with doubling backoff. It runs beside the data path (no request
// waits for it) and reports each outcome as an event; credentials never leave the request itself.
import type { EventLog } from '../core/events.ts';
import type { KickstartConfig } from '../config/kickstart-schema.ts';

/** Backoff before the first retry; it doubles for each next one. */
export const FIRST_BACKOFF_MS = 250;

export interface KickstartTarget {
  readonly service: string;
  readonly datacenter: string;
  readonly config: KickstartConfig;
}

/** Where the URL points, for logs and events: scheme, host and path, never a query (it may hold a secret). */
const shown = (url: string) => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};

async function tryOnce(k: KickstartConfig): Promise<string | undefined> {
  const headers: Record<string, string> = { ...k.headers, 'user-agent': 'mooring-kickstart' };
  if (k.username !== undefined) headers['authorization'] = `Basic ${Buffer.from(`${k.username}:${k.password}`).toString('base64')}`;
  try {
    // Loaded on the first failover only: the running proxy keeps to undici's Pool (memory footprint).
    const { request } = await import('undici');
    const res = await request(k.url, { method: k.method, headers, headersTimeout: k.timeout, bodyTimeout: k.timeout, signal: AbortSignal.timeout(k.timeout) });
    await res.body.dump();
    return res.statusCode >= 200 && res.statusCode < 300 ? undefined : `answered ${res.statusCode}`;
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    return e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' ? `no answer within ${k.timeout} ms` : `failed: ${e.code ?? e.message ?? 'error'}`;
  }
}

/** Calls the kickstart URL until it answers 2xx or the retries run out; never throws. */
export async function kickstart(target: KickstartTarget, events: EventLog, now: () => number, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<boolean> {
  const { config } = target;
  const where = `${config.method} ${shown(config.url)}`;
  for (let attempt = 0; attempt <= config.retries; attempt++) {
    if (attempt > 0) await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
    const problem = await tryOnce(config);
    const tries = `try ${attempt + 1} of ${config.retries + 1}`;
    if (problem === undefined) {
      events.emit({ at: now(), type: 'kickstart', service: target.service, datacenter: target.datacenter, from: 'asleep', to: 'kicked', reason: `${where} answered 2xx (${tries})` });
      return true;
    }
    events.emit({ at: now(), type: 'kickstart-failed', service: target.service, datacenter: target.datacenter, from: 'asleep', to: attempt === config.retries ? 'gave up' : 'retrying', reason: `${where} ${problem} (${tries})` });
  }
  return false;
}
