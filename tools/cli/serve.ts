/**
 * `npm run serve`: serve docs/site/ on http://localhost:4173, or on $PORT (build it first with
 * `npm run docs`); `npm run serve -- --no-solutions` serves the student site.
 */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { defaultSiteDir, defaultStudentSiteDir } from '../site/build-site.ts';
import { siteServer } from '../site/server.ts';
import { commandLine } from './args.ts';

const { values } = commandLine('usage: npm run serve [-- --no-solutions] (the port: PORT=4274 npm run serve)', { options: { 'no-solutions': { type: 'boolean', default: false } } });
const siteDir = values['no-solutions'] ? defaultStudentSiteDir : defaultSiteDir;
const port = Number(process.env.PORT ?? 4173);

if (!existsSync(siteDir)) {
  console.error(`no site in ${relative(process.cwd(), siteDir)} yet: run \`npm run docs${values['no-solutions'] ? ' -- --no-solutions' : ''}\` first`);
  process.exit(1);
}
siteServer(siteDir)
  .on('error', (error: NodeJS.ErrnoException) => {
    console.error(error.code === 'EADDRINUSE' ? `port ${port} is taken: choose another with PORT=4274 npm run serve` : `cannot serve: ${error.message}`);
    process.exit(1);
  })
  .listen(port, () => console.log(`serving ${relative(process.cwd(), siteDir)} on http://localhost:${port} (PORT=… to change; Ctrl-C to stop)`));
