// The dashboard's static files: the page, its script and style, and uPlot from the installed
// package (no CDN). They carry no state of the process; the page asks for the token and reads the
// API with it. Read once, at start.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Route } from './route.ts';

const require = createRequire(import.meta.url);
// The same three levels up from src/admin/routes and dist/admin/routes: the page is not compiled.
const here = (name: string) => new URL(`../../../src/admin/dashboard/${name}`, import.meta.url);

/** path → [content type, file]; files are read on first use and kept. */
const FILES: Record<string, [string, () => string]> = {
  '/': ['text/html; charset=utf-8', () => readFileSync(here('index.html'), 'utf8')],
  '/dashboard/app.js': ['text/javascript; charset=utf-8', () => readFileSync(here('app.js'), 'utf8')],
  '/dashboard/style.css': ['text/css; charset=utf-8', () => readFileSync(here('style.css'), 'utf8')],
  '/dashboard/uplot.js': ['text/javascript; charset=utf-8', () => readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8')],
  '/dashboard/uplot.css': ['text/css; charset=utf-8', () => readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8')],
};

const cache = new Map<string, string>();

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const staticFiles: Route = {
  method: 'GET',
  path: /^(\/|\/dashboard\/[a-z.]+)$/,
  access: 'public',
  handle({ req, res }) {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = FILES[path];
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    let body = cache.get(path);
    if (body === undefined) cache.set(path, (body = file[1]()));
    res.writeHead(200, { 'content-type': file[0], 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-cache' });
    res.end(body);
  },
};

export const dashboardRoutes: readonly Route[] = [staticFiles];
