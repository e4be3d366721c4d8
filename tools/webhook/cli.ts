/**
 * `npm run webhook`: sign a payload as a webhook provider does, or verify a delivery as a
 * merchant must, in Stripe's format and in the Standard Webhooks format.
 *
 *   npm run webhook -- secret
 *       prints a new secret (whsec_ + base64), usable in both formats
 *   npm run webhook -- sign --secret <s> [--secret <old>] [--timestamp <unix s>] [--id <msg id>] <payload file>
 *       prints the Stripe-Signature header and the three Standard Webhooks headers
 *   npm run webhook -- verify --secret <s> [--secret <s2>] [--now <unix s>] [--tolerance <s>]
 *       (--stripe-signature <value> | --webhook-id <id> --webhook-timestamp <t> --webhook-signature <sig>) <payload file>
 *       accepts (exit 0) or says why it refuses (exit 1)
 *
 * The payload file is read as bytes and used as is: a signature covers the raw body, and a
 * body parsed and re-serialised (other spacing, other key order) no longer matches.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { newSecret, standardWebhookHeaders, stripeSignatureHeader, TOLERANCE_SECONDS, verifyStandardWebhook, verifyStripeSignature, type Verdict } from './signing.ts';

const usage = `usage:
  npm run webhook -- secret
  npm run webhook -- sign --secret <s> [--secret <s2>] [--timestamp <unix s>] [--id <msg id>] <payload file>
  npm run webhook -- verify --secret <s> [--secret <s2>] [--now <unix s>] [--tolerance <s>]
      (--stripe-signature <value> | --webhook-id <id> --webhook-timestamp <t> --webhook-signature <sig>) <payload file>`;

/** Exit status and lines to print, so that tests can run the command without a child process. */
export function runWebhookCommand(argv: readonly string[], nowSeconds = Math.floor(Date.now() / 1000)): { status: number; out: string[]; err: string[] } {
  if (argv.includes('--help')) return { status: 0, out: [usage], err: [] };
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        secret: { type: 'string', multiple: true },
        timestamp: { type: 'string' },
        id: { type: 'string' },
        now: { type: 'string' },
        tolerance: { type: 'string' },
        'stripe-signature': { type: 'string' },
        'webhook-id': { type: 'string' },
        'webhook-timestamp': { type: 'string' },
        'webhook-signature': { type: 'string' },
      },
    });
  } catch (error) {
    return { status: 2, out: [], err: [(error as Error).message, usage] };
  }
  const { values, positionals } = parsed;
  const [command, file] = positionals;
  if (command === 'secret') return { status: 0, out: [newSecret()], err: [] };
  if ((command !== 'sign' && command !== 'verify') || !file || positionals.length !== 2) return { status: 2, out: [], err: [usage] };
  const secrets = values.secret ?? [];
  if (secrets.length === 0) return { status: 2, out: [], err: ['--secret is required (twice during a rotation: the new and the old)', usage] };
  const seconds = (name: string, value: string | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value)) throw new RangeError(`--${name} takes whole seconds, got "${value}"`);
    return Number(value);
  };
  let payload: string;
  try {
    payload = readFileSync(file, 'utf8');
  } catch (error) {
    return { status: 2, out: [], err: [`cannot read the payload file: ${(error as Error).message}`] };
  }
  try {
    if (command === 'sign') {
      const timestamp = seconds('timestamp', values.timestamp, nowSeconds);
      const id = values.id ?? `msg_${timestamp}`;
      const standard = standardWebhookHeaders(payload, secrets, id, timestamp);
      return {
        status: 0,
        out: [`Stripe-Signature: ${stripeSignatureHeader(payload, secrets, timestamp)}`, ...Object.entries(standard).map(([k, v]) => `${k}: ${v}`)],
        err: [],
      };
    }
    const options = { secrets, now: seconds('now', values.now, nowSeconds), tolerance: seconds('tolerance', values.tolerance, TOLERANCE_SECONDS) };
    let verdict: Verdict;
    let format: string;
    if (values['stripe-signature'] !== undefined) {
      verdict = verifyStripeSignature(payload, values['stripe-signature'], options);
      format = 'Stripe-Signature';
    } else if (values['webhook-signature'] !== undefined || values['webhook-id'] !== undefined || values['webhook-timestamp'] !== undefined) {
      const headers = { 'webhook-id': values['webhook-id'], 'webhook-timestamp': values['webhook-timestamp'], 'webhook-signature': values['webhook-signature'] };
      verdict = verifyStandardWebhook(payload, headers, options);
      format = 'Standard Webhooks';
    } else {
      return { status: 2, out: [], err: ['give the headers to verify: --stripe-signature, or --webhook-id, --webhook-timestamp and --webhook-signature', usage] };
    }
    if (verdict.accepted) return { status: 0, out: [`accepted (${format}): signature ${verdict.signature + 1} matches secret ${verdict.secret + 1}`], err: [] };
    return { status: 1, out: [`refused (${format}): ${verdict.reason.replaceAll('_', ' ')}: ${verdict.detail}`], err: [] };
  } catch (error) {
    return { status: 2, out: [], err: [(error as Error).message] };
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { status, out, err } = runWebhookCommand(process.argv.slice(2));
  for (const line of out) console.log(line);
  for (const line of err) console.error(line);
  process.exit(status);
}
