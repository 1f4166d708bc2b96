// A listener's routing: its rules in order, first match wins, then its default service. CIDR
// conditions are looked up in one prefix trie for all rules, so the cost per request stays flat
// however many CIDR rules there are; rules without one are checked in order around them.
import { PrefixTrie } from './cidr.ts';
import { compileLinear } from './linear-regex.ts';
import type { GeoDatabase, Place } from './geoip.ts';
import type { MatchConfig, RuleConfig } from './schema.ts';

/** S: what a route names (the service's handle), left open so rules sit below the topology. */
export type RouteResult<S> =
  | { readonly kind: 'service'; readonly service: S; readonly datacenter?: string; readonly setHeaders?: readonly (readonly [string, string])[] }
  | { readonly kind: 'deny'; readonly status: number }
  | { readonly kind: 'redirect'; readonly status: number; readonly location: string }
  | { readonly kind: 'no-route' };

/** What a rule reads of a request. */
export interface RouteRequest {
  readonly method: string;
  /** Host header, lower case, without its port. */
  readonly host: string | undefined;
  /** Path and query as received. */
  readonly target: string;
  readonly clientIp: string;
  readonly secure: boolean;
  header(name: string): string | undefined;
}

interface CompiledRule<S> {
  readonly test: (r: RouteRequest, place: () => Place) => boolean;
  readonly result: RouteResult<S> | ((r: RouteRequest) => RouteResult<S>);
}

/** Any character a header value must not carry (CR, LF, NUL and the other controls), percent-encoded. */
const safe = (text: string) => text.replace(/[\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);

function hostMatches(patterns: readonly string[], host: string | undefined): boolean {
  if (host === undefined) return false;
  return patterns.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) && host.length > p.length - 1 : host === p));
}

function compileMatch(m: MatchConfig): CompiledRule<unknown>['test'] {
  const checks: ((r: RouteRequest, place: () => Place) => boolean)[] = [];
  if (m.host) checks.push((r) => hostMatches(m.host!, r.host));
  if (m.path) checks.push((r) => m.path!.some((p) => r.target.startsWith(p)));
  if (m.pathRegex) {
    const re = compileLinear(m.pathRegex);
    checks.push((r) => re.test(r.target.split('?')[0]!));
  }
  if (m.method) checks.push((r) => m.method!.includes(r.method));
  if (m.header) {
    const { name, value, regex } = m.header;
    const re = regex === undefined ? undefined : compileLinear(regex);
    checks.push((r) => {
      const v = r.header(name);
      return v !== undefined && (value === undefined || v === value) && (re === undefined || re.test(v));
    });
  }
  if (m.country) checks.push((_r, place) => m.country!.includes(place().country ?? ''));
  if (m.continent) checks.push((_r, place) => m.continent!.includes(place().continent ?? ''));
  return (r, place) => checks.every((c) => c(r, place));
}

function compileAction<S>(rule: RuleConfig, services: ReadonlyMap<string, S>): CompiledRule<S>['result'] {
  if (rule.deny !== undefined) return { kind: 'deny', status: rule.deny === true ? 403 : rule.deny.status };
  if (rule.redirect) {
    const { status, location } = rule.redirect;
    return (r) => ({
      kind: 'redirect',
      status,
      location: location.replace(/\{(scheme|host|path)\}/g, (_m, key: string) => safe(key === 'scheme' ? (r.secure ? 'https' : 'http') : key === 'host' ? (r.host ?? '') : r.target)),
    });
  }
  const service = services.get(rule.service!)!;
  const setHeaders = rule.setHeaders ? Object.entries(rule.setHeaders).map(([k, v]) => [k.toLowerCase(), v] as const) : undefined;
  return { kind: 'service', service, ...(rule.datacenter === undefined ? {} : { datacenter: rule.datacenter }), ...(setHeaders ? { setHeaders } : {}) };
}

export class ListenerRouter<S> {
  private readonly rules: CompiledRule<S>[];
  private readonly trie = new PrefixTrie();
  /** Rules without a CIDR condition, in order: checked alongside the trie's hits. */
  private readonly plain: number[] = [];
  private readonly fallback: RouteResult<S>;

  constructor(
    rules: readonly RuleConfig[],
    services: ReadonlyMap<string, S>,
    defaultService: S | undefined,
    private readonly geo: GeoDatabase | undefined,
  ) {
    this.rules = rules.map((rule, i) => {
      for (const c of rule.match.cidr ?? []) this.trie.add(c, i);
      if (!rule.match.cidr) this.plain.push(i);
      return { test: compileMatch(rule.match), result: compileAction(rule, services) };
    });
    this.fallback = defaultService ? { kind: 'service', service: defaultService } : { kind: 'no-route' };
  }

  /** The client's place, for geo GSLB modes (unknown without a geo-IP database). */
  placeOf(ip: string): Place {
    return this.geo?.lookup(ip) ?? { country: undefined, continent: undefined };
  }

  get hasRules(): boolean {
    return this.rules.length > 0;
  }

  route(r: RouteRequest): RouteResult<S> {
    if (this.rules.length === 0) return this.fallback;
    let place: Place | undefined;
    const placeOf = () => (place ??= this.geo?.lookup(r.clientIp) ?? { country: undefined, continent: undefined });
    const hits = this.rules.length === this.plain.length ? this.plain : mergeAscending(this.plain, this.trie.match(r.clientIp));
    for (const i of hits) {
      const rule = this.rules[i]!;
      if (!rule.test(r, placeOf)) continue;
      return typeof rule.result === 'function' ? rule.result(r) : rule.result;
    }
    return this.fallback;
  }
}

/** Rule indices from both lists, in rule order, once each. */
function mergeAscending(a: readonly number[], b: number[]): number[] {
  if (b.length === 0) return a as number[];
  if (a.length === 0) return b.length < 2 ? b : b.sort((x, y) => x - y);
  const out = [...a, ...b].sort((x, y) => x - y);
  return out.filter((v, i) => i === 0 || out[i - 1] !== v);
}
