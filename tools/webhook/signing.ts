/**
 * Signing and verifying webhook deliveries, in the two header formats in use:
 *
 * - Stripe's `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>…]`: HMAC-SHA256, keyed by the
 *   endpoint's signing secret as written (`whsec_…`), over `<t>.<raw body>`; one `v1` per secret
 *   in use, so that a receiver holding either secret accepts a delivery while a secret is rolled;
 *   the official libraries refuse a timestamp older than 300 s by default
 *   (https://docs.stripe.com/webhooks/signature, and `DEFAULT_TOLERANCE` in stripe-node).
 * - The Standard Webhooks spec's `webhook-id`, `webhook-timestamp` and
 *   `webhook-signature: v1,<base64>[ v1,<base64>…]`: HMAC-SHA256 over `<id>.<timestamp>.<raw body>`,
 *   keyed by the base64 part of a `whsec_` secret, several signatures space-separated during a
 *   rotation (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
 *
 * Signatures are compared in constant time (`crypto.timingSafeEqual`): an early-exit comparison
 * answers sooner the more leading characters of a forged signature are right, and so lets an
 * attacker find a valid signature one character at a time by timing the refusals.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Largest age of a delivery's timestamp accepted, in seconds: the default of both official libraries. */
export const TOLERANCE_SECONDS = 300;

export const STRIPE_SIGNATURE_HEADER = 'stripe-signature';

/** A new secret usable by both formats: `whsec_` and 24 random bytes in base64. */
export const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/** The HMAC key of a Standard Webhooks secret: the base64 after `whsec_`. */
export function standardWebhooksKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new Error('a Standard Webhooks secret is `whsec_` followed by base64; this one decodes to no bytes');
  return key;
}

/** Stripe's v1 signature of a payload: lowercase hex of HMAC-SHA256(secret, `t.payload`). */
export const stripeSignature = (payload: string, secret: string, timestamp: number) =>
  createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');

/** Standard Webhooks' v1 signature: base64 of HMAC-SHA256(key, `id.timestamp.payload`). */
export const standardSignature = (payload: string, secret: string, id: string, timestamp: number) =>
  createHmac('sha256', standardWebhooksKey(secret)).update(`${id}.${timestamp}.${payload}`, 'utf8').digest('base64');

/** The `Stripe-Signature` value: one v1 per secret (two while a secret is rolled). */
export function stripeSignatureHeader(payload: string, secrets: readonly string[], timestamp: number): string {
  if (secrets.length === 0) throw new Error('sign with at least one secret');
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${stripeSignature(payload, s, timestamp)}`)].join(',');
}

export interface StandardWebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three Standard Webhooks headers: one `v1,<base64>` per secret, space-separated. */
export function standardWebhookHeaders(payload: string, secrets: readonly string[], id: string, timestamp: number): StandardWebhookHeaders {
  if (secrets.length === 0) throw new Error('sign with at least one secret');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => `v1,${standardSignature(payload, s, id, timestamp)}`).join(' '),
  };
}

/** Why a delivery is refused; `accepted` carries which signature matched which secret. */
export type Verdict =
  | { accepted: true; signature: number; secret: number }
  | { accepted: false; reason: 'malformed_header' | 'no_signature' | 'signature_mismatch' | 'timestamp_too_old' | 'timestamp_too_new'; detail: string };

/** Equal strings, compared in time that depends on their length only. */
export function constantTimeEqual(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')];
  // The length of a valid signature is public (64 hex, 44 base64): refusing a different length
  // at once reveals nothing.
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The first (signature, secret) pair that matches, trying every pair: a receiver holds the old
 * and the new secret during a rotation, and the sender signs with both.
 */
function findMatch(received: readonly string[], secrets: readonly string[], expected: (secret: string) => string) {
  for (const [k, secret] of secrets.entries()) {
    const mine = expected(secret);
    for (const [i, theirs] of received.entries()) if (constantTimeEqual(mine, theirs)) return { signature: i, secret: k };
  }
  return undefined;
}

function checkTimestamp(timestamp: number, now: number, tolerance: number): Verdict | undefined {
  if (now - timestamp > tolerance) {
    return { accepted: false, reason: 'timestamp_too_old', detail: `signed ${now - timestamp} s ago, more than the ${tolerance} s tolerance: a replay of an old delivery` };
  }
  if (timestamp - now > tolerance) {
    return { accepted: false, reason: 'timestamp_too_new', detail: `signed ${timestamp - now} s in the future, more than the ${tolerance} s tolerance` };
  }
  return undefined;
}

export interface VerifyOptions {
  /** The receiver's secrets: one, or the old and the new during a rotation. */
  secrets: readonly string[];
  /** The receiver's clock, in unix seconds. */
  now: number;
  tolerance?: number;
}

/**
 * Verify a `Stripe-Signature` header against the raw body. The signature is checked before the
 * timestamp, as stripe-node does, so that a refusal for age is only given to a genuine (but old)
 * delivery; a future timestamp beyond the tolerance is refused too (stripe-node accepts it; the
 * Standard Webhooks libraries do not).
 */
export function verifyStripeSignature(payload: string, header: string | undefined, options: VerifyOptions): Verdict {
  const tolerance = options.tolerance ?? TOLERANCE_SECONDS;
  if (typeof header !== 'string' || header.length === 0) return { accepted: false, reason: 'malformed_header', detail: 'no Stripe-Signature header' };
  const pairs = header.split(',').map((item) => {
    const at = item.indexOf('=');
    return at < 0 ? ['', item] : [item.slice(0, at).trim(), item.slice(at + 1).trim()];
  });
  const t = pairs.find(([k]) => k === 't')?.[1];
  const timestamp = t !== undefined && /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(timestamp)) return { accepted: false, reason: 'malformed_header', detail: 'no timestamp (t=<unix seconds>) in the header' };
  const received = pairs.filter(([k]) => k === 'v1').map(([, v]) => v!);
  if (received.length === 0) return { accepted: false, reason: 'no_signature', detail: 'no v1 signature in the header' };
  const match = findMatch(received, options.secrets, (secret) => stripeSignature(payload, secret, timestamp));
  if (!match) return { accepted: false, reason: 'signature_mismatch', detail: `none of the ${received.length} v1 signature(s) matches the body with any of the ${options.secrets.length} secret(s)` };
  return checkTimestamp(timestamp, options.now, tolerance) ?? { accepted: true, ...match };
}

/** Verify the three Standard Webhooks headers (names in any case) against the raw body. */
export function verifyStandardWebhook(payload: string, headers: Record<string, string | undefined>, options: VerifyOptions): Verdict {
  const tolerance = options.tolerance ?? TOLERANCE_SECONDS;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const [id, t, signatures] = [lower['webhook-id'], lower['webhook-timestamp'], lower['webhook-signature']];
  if (!id || !t || !signatures) return { accepted: false, reason: 'malformed_header', detail: 'webhook-id, webhook-timestamp and webhook-signature are all required' };
  if (!/^\d+$/.test(t)) return { accepted: false, reason: 'malformed_header', detail: 'webhook-timestamp is not unix seconds' };
  const timestamp = Number(t);
  const received = signatures
    .split(' ')
    .map((s) => s.split(','))
    .filter(([version]) => version === 'v1')
    .map(([, value]) => value ?? '');
  if (received.length === 0) return { accepted: false, reason: 'no_signature', detail: 'no v1 signature in webhook-signature' };
  // The spec's libraries check the timestamp first; the order changes only which refusal is named.
  const stale = checkTimestamp(timestamp, options.now, tolerance);
  if (stale) return stale;
  const match = findMatch(received, options.secrets, (secret) => standardSignature(payload, secret, id, timestamp));
  if (!match) return { accepted: false, reason: 'signature_mismatch', detail: `none of the ${received.length} v1 signature(s) matches the body with any of the ${options.secrets.length} secret(s)` };
  return { accepted: true, ...match };
}
