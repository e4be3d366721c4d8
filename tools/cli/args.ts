/**
 * A command's arguments, parsed with Node's `util.parseArgs`: `--help` prints the command's
 * usage, and an option it does not know (or a missing value) prints what was wrong and the
 * usage, exit code 2, instead of a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export function commandLine<T extends ParseArgsConfig>(usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  const args = config.args ?? process.argv.slice(2);
  if (args.includes('--help')) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (error) {
    console.error(`${(error as Error).message.split('. To specify a positional')[0]}\n${usage}`);
    process.exit(2);
  }
}
