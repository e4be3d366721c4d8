/**
 * `npm run docs`: the site (chapters, answer keys, models, invariants, diagrams, API reference)
 * to docs/site/.
 *   npm run docs -- --no-solutions   the student site, without answer keys or reference
 *                                    answers, to docs/site-student/ (checked to hold none)
 *   npm run docs -- --no-api         skip the API reference
 */
import { join, relative } from 'node:path';
import { buildSite } from '../site/build-site.ts';
import { commandLine } from './args.ts';

const { values } = commandLine('usage: npm run docs [-- --no-solutions] [--no-api]', { options: { 'no-api': { type: 'boolean', default: false }, 'no-solutions': { type: 'boolean', default: false } } });
const started = performance.now();
try {
  const report = await buildSite({ api: !values['no-api'], solutions: !values['no-solutions'], log: (line) => console.error(line) });
  console.error(
    `site written to ${relative(process.cwd(), join(report.outDir, 'index.html'))} in ${((performance.now() - started) / 1000).toFixed(1)} s (npm run serve${values['no-solutions'] ? ' -- --no-solutions' : ''} to browse it)`,
  );
} catch (error) {
  console.error(`docs: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
