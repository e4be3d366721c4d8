/** typedoc's run for the site, in a process of its own (see `prepareApi` in api.ts). */
import { generateApi } from './api.ts';

try {
  await generateApi();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
