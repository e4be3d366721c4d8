/** `npm run docs`: render the site (chapters, answer keys, diagrams, API reference) to docs/site/. */
import { parseArgs } from 'node:util';
import { join, relative } from 'node:path';
import { buildSite, defaultSiteDir as siteDir } from '../site/build-site.ts';

const { values } = parseArgs({ options: { 'no-api': { type: 'boolean', default: false } } });
const started = performance.now();
await buildSite({ api: !values['no-api'], log: (line) => console.error(line) });
console.error(`site written to ${relative(process.cwd(), join(siteDir, 'index.html'))} in ${((performance.now() - started) / 1000).toFixed(1)} s (npm run serve to browse it)`);
