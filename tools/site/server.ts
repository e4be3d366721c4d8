/**
 * A static server for the built site: the site's own 404 page for a missing path, and the
 * hashed assets VitePress writes cached for a year (their name changes with their content), so
 * a page's scripts and styles are downloaded once per visit, not once per page.
 */
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export function siteServer(siteDir: string): Server {
  return createServer((request, response) => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://site').pathname);
    } catch {
      return void response.writeHead(400).end('bad request');
    }
    let path = join(siteDir, normalize(pathname));
    if (path !== siteDir && !path.startsWith(siteDir + sep)) return void response.writeHead(403).end();
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
    if (!existsSync(path) && existsSync(`${path}.html`)) path = `${path}.html`;
    if (!existsSync(path)) {
      const notFound = join(siteDir, '404.html');
      return void response.writeHead(404, { 'content-type': types['.html']! }).end(existsSync(notFound) ? readFileSync(notFound) : 'not found');
    }
    const immutable = /[\\/]assets[\\/].*\.[\w-]{8}\.(js|css|woff2)$/.test(path) || pathname.startsWith('/diagrams/');
    const type = types[extname(path)] ?? 'application/octet-stream';
    // Text compressed as every static host does (GitHub Pages, Netlify): what a reader downloads.
    const gzip = /^(text\/|application\/(javascript|json)|image\/svg)/.test(type) && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    const body = readFileSync(path);
    response
      .writeHead(200, {
        'content-type': type,
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        vary: 'accept-encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      })
      .end(gzip ? gzipSync(body) : body);
  });
}
