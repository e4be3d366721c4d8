/** `npm run serve`: serve docs/site/ on http://localhost:4173, or on $PORT (build it first with `npm run docs`). */
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { defaultSiteDir as siteDir } from '../site/build-site.ts';

const port = Number(process.env.PORT ?? 4173);
const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript', '.svg': 'image/svg+xml', '.json': 'application/json' };

if (!existsSync(siteDir)) {
  console.error('no site yet: run `npm run docs` (or `npm run build`) first');
  process.exit(1);
}
createServer((request, response) => {
  let path = join(siteDir, normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)));
  if (!path.startsWith(siteDir)) return void response.writeHead(403).end();
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
  if (!existsSync(path)) return void response.writeHead(404).end('not found');
  response.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
})
  .on('error', (error: NodeJS.ErrnoException) => {
    console.error(error.code === 'EADDRINUSE' ? `port ${port} is taken: choose another with PORT=4274 npm run serve` : `cannot serve: ${error.message}`);
    process.exit(1);
  })
  .listen(port, () => console.log(`serving docs/site on http://localhost:${port} (PORT=… to change; Ctrl-C to stop)`));
