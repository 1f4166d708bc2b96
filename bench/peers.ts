// Config files for the load benchmark's peers: nginx as backend and as proxy, HAProxy, Mooring.
// Each peer gets the same three backends and, where it has one, the same persistence method.

export interface Ports {
  backends: number[];
  mooring: { rr: number; cookie: number; ip: number };
  /** Mooring again, with the access log on (to a file): its cost, measured in the cookie scenario. */
  mooringLogged: number;
  /** The same cookie-only Mooring without observation: runs exactly when the observed one does. */
  mooringCookieOnly: number;
  haproxy: { rr: number; cookie: number; ip: number };
  nginx: { rr: number; ip: number };
  httpProxy: number;
  minimal: number;
  /** The smallest proxy over Mooring's own upstream client: its parts' ceiling. */
  ownMinimal: number;
  /** Mooring on undici's client (MOORING_UPSTREAM=undici): the data path before its own client. */
  mooringUndici: { rr: number; cookie: number; ip: number };
}

/** nginx's temporary folders, inside the bench folder (one set per nginx instance). */
const tempPaths = (dir: string, tag: string) =>
  ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/tmp-${tag}-${kind};`).join('\n');

export function nginxBackendConf(dir: string, ports: number[]): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx-backend.pid;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 75s;
${tempPaths(dir, 'backend')}
${ports.map((p) => `  server { listen 127.0.0.1:${p}; root ${dir}/www; }`).join('\n')}
}
`;
}

export function nginxProxyConf(dir: string, ports: Ports): string {
  const servers = ports.backends.map((p) => `server 127.0.0.1:${p};`).join(' ');
  const proxy = (upstream: string) =>
    `location / { proxy_pass http://${upstream}; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering on; }`;
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx-proxy.pid;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 10000000;
${tempPaths(dir, 'proxy')}
  upstream rr { ${servers} keepalive 128; }
  upstream iphash { ip_hash; ${servers} keepalive 128; }
  server { listen 127.0.0.1:${ports.nginx.rr}; ${proxy('rr')} }
  server { listen 127.0.0.1:${ports.nginx.ip}; ${proxy('iphash')} }
}
`;
}

export function haproxyConf(ports: Ports): string {
  const servers = (extra: (id: string) => string) =>
    ports.backends.map((p, i) => `  server ${'abc'[i]} 127.0.0.1:${p}${extra('abc'[i]!)}`).join('\n');
  return `global
  nbthread 1
  maxconn 8000
defaults
  mode http
  timeout connect 3s
  timeout client 60s
  timeout server 30s
  option http-keep-alive
  http-reuse always
frontend rr
  bind 127.0.0.1:${ports.haproxy.rr}
  default_backend rr
backend rr
  balance roundrobin
${servers(() => '')}
frontend cookie
  bind 127.0.0.1:${ports.haproxy.cookie}
  default_backend cookie
backend cookie
  balance roundrobin
  cookie SERVERID insert indirect nocache
${servers((id) => ` cookie ${id}`)}
frontend ip
  bind 127.0.0.1:${ports.haproxy.ip}
  default_backend ip
backend ip
  balance roundrobin
  stick-table type ip size 1m expire 30m
  stick on src
${servers(() => '')}
`;
}

export const BENCH_KEY = 'bench-cookie-key-0123456789abcdef0123';

/** With several workers, client-ip sessions would be per process (Mooring refuses that): the ip listener then goes unmeasured. */
export function mooringConf(ports: Ports, workers = 1): string {
  const servers = ports.backends.map((p, i) => `      - { id: ${'abc'[i]}, url: "http://127.0.0.1:${p}" }`).join('\n');
  const service = (name: string, persistence: string) => `  - name: ${name}
    balance: { algorithm: round-robin }
    persistence: ${persistence}
    servers:
${servers}`;
  return `listeners:
  - { name: rr, address: "127.0.0.1:${ports.mooring.rr}", service: rr }
  - { name: cookie, address: "127.0.0.1:${ports.mooring.cookie}", service: cookie }
  - { name: ip, address: "127.0.0.1:${ports.mooring.ip}", service: ip }
services:
${service('rr', '{ method: none }')}
${service('cookie', `{ method: cookie, keys: ["${BENCH_KEY}"], cookie: { idleTimeout: 30m } }`)}
${service('ip', workers > 1 ? '{ method: none }' : '{ method: client-ip }')}
log: { level: warn }
workers: ${workers}
`;
}

/** Mooring's cookie service alone on `port`; with `accessLog`, one access-log line per request
 *  written to that file and metrics on ("observed"). */
export function mooringCookieConf(port: number, backends: readonly number[], accessLog?: string): string {
  const servers = backends.map((p, i) => `      - { id: ${'abc'[i]}, url: "http://127.0.0.1:${p}" }`).join('\n');
  const observation = accessLog
    ? `log: { level: warn, access: true, file: "${accessLog}" }
# Metrics (and the admin listener's traffic statistics) are kept only with admin: on.
admin: { address: "127.0.0.1:0", token: "bench-admin-token-0123456789" }`
    : 'log: { level: warn }';
  return `listeners:
  - { name: cookie, address: "127.0.0.1:${port}", service: cookie }
services:
  - name: cookie
    balance: { algorithm: round-robin }
    persistence: { method: cookie, keys: ["${BENCH_KEY}"], cookie: { idleTimeout: 30m } }
    servers:
${servers}
${observation}
`;
}

/** A wrk script that sends each request with the next cookie of a fixed list (one per session). */
export function cookieScript(cookies: readonly string[]): string {
  return `local cookies = { ${cookies.map((c) => JSON.stringify(c)).join(', ')} }
local reqs = {}
local n = 0
init = function(args)
  for i, c in ipairs(cookies) do
    local headers = {}
    for k, v in pairs(wrk.headers) do headers[k] = v end
    headers["Cookie"] = c
    reqs[i] = wrk.format(nil, nil, headers)
  end
end
request = function()
  n = n + 1
  return reqs[(n % #reqs) + 1]
end
`;
}
