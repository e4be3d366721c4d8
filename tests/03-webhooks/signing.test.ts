import { describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { Webhook } from 'standardwebhooks';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  constantTimeEqual,
  newSecret,
  standardWebhookHeaders,
  stripeSignatureHeader,
  TOLERANCE_SECONDS,
  verifyStandardWebhook,
  verifyStripeSignature,
} from '../../tools/webhook/signing.ts';
import { runWebhookCommand } from '../../tools/webhook/cli.ts';
import { spawnSync } from 'node:child_process';

const stripe = new Stripe('sk_test_unused');
const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'charge.refunded', created: 1_700_000_000, data: { object: { id: 'ch_1', amount: 10_000, amount_refunded: 2_500 } } });
const secret = newSecret();
const other = newSecret();
const now = () => Math.floor(Date.now() / 1000);

/** stripe-node's verifier, as a merchant calls it; a refusal is thrown, here returned as false. */
function stripeAccepts(body: string, header: string, key: string, receivedAtSeconds = now()) {
  try {
    stripe.webhooks.constructEvent(body, header, key, TOLERANCE_SECONDS, undefined, receivedAtSeconds * 1000);
    return true;
  } catch {
    return false;
  }
}

/** The Standard Webhooks reference verifier (it reads the clock itself). */
function standardAccepts(body: string, headers: Record<string, string>, key: string) {
  try {
    new Webhook(key).verify(body, headers);
    return true;
  } catch {
    return false;
  }
}

describe('Stripe-Signature, checked by stripe-node', () => {
  it('a delivery signed here is accepted by stripe.webhooks.constructEvent and by the verifier here', () => {
    const t = now();
    const header = stripeSignatureHeader(payload, [secret], t);
    expect(stripeAccepts(payload, header, secret)).toBe(true);
    expect(verifyStripeSignature(payload, header, { secrets: [secret], now: t })).toMatchObject({ accepted: true });
  });

  it('the header is byte for byte what stripe.webhooks.generateTestHeaderString writes', () => {
    const t = 1_700_000_000;
    expect(stripeSignatureHeader(payload, [secret], t)).toBe(stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: t }));
  });

  it('a header written by stripe-node is accepted by the verifier here', () => {
    const t = now();
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: t });
    expect(verifyStripeSignature(payload, header, { secrets: [secret], now: t })).toMatchObject({ accepted: true });
  });

  it('a tampered body, a stale timestamp and a wrong secret are refused by both', () => {
    const t = now();
    const header = stripeSignatureHeader(payload, [secret], t);
    const tampered = payload.replace('2500', '9500');
    const stale = stripeSignatureHeader(payload, [secret], t - TOLERANCE_SECONDS - 1);
    for (const [body, h, key, reason] of [
      [tampered, header, secret, 'signature_mismatch'],
      [payload, stale, secret, 'timestamp_too_old'],
      [payload, header, other, 'signature_mismatch'],
    ] as const) {
      expect(stripeAccepts(body, h, key)).toBe(false);
      expect(verifyStripeSignature(body, h, { secrets: [key], now: t })).toMatchObject({ accepted: false, reason });
    }
  });

  it('during a rotation the header carries one v1 per secret, and a receiver holding either accepts it', () => {
    const t = now();
    const header = stripeSignatureHeader(payload, [other, secret], t);
    expect(header.match(/v1=/g)).toHaveLength(2);
    for (const key of [secret, other]) {
      expect(stripeAccepts(payload, header, key)).toBe(true);
      expect(verifyStripeSignature(payload, header, { secrets: [key], now: t })).toMatchObject({ accepted: true });
    }
    // And a receiver holding both secrets accepts a delivery signed with only the new one.
    const single = stripeSignatureHeader(payload, [secret], t);
    expect(verifyStripeSignature(payload, single, { secrets: [other, secret], now: t })).toMatchObject({ accepted: true, secret: 1 });
  });

  it('a header with no timestamp or no v1 is refused as malformed, not thrown', () => {
    expect(verifyStripeSignature(payload, 'v1=abc', { secrets: [secret], now: now() })).toMatchObject({ accepted: false, reason: 'malformed_header' });
    expect(verifyStripeSignature(payload, `t=${now()},v0=abc`, { secrets: [secret], now: now() })).toMatchObject({ accepted: false, reason: 'no_signature' });
    expect(verifyStripeSignature(payload, undefined, { secrets: [secret], now: now() })).toMatchObject({ accepted: false, reason: 'malformed_header' });
  });
});

describe('Standard Webhooks headers, checked by the standardwebhooks library', () => {
  it('a delivery signed here is accepted by Webhook.verify and by the verifier here', () => {
    const t = now();
    const headers = standardWebhookHeaders(payload, [secret], 'msg_1', t);
    expect(standardAccepts(payload, { ...headers }, secret)).toBe(true);
    expect(verifyStandardWebhook(payload, { ...headers }, { secrets: [secret], now: t })).toMatchObject({ accepted: true });
  });

  it('the signature is the library’s own Webhook.sign', () => {
    const t = 1_700_000_000;
    expect(standardWebhookHeaders(payload, [secret], 'msg_1', t)['webhook-signature']).toBe(new Webhook(secret).sign('msg_1', new Date(t * 1000), payload));
  });

  it('a tampered body, a stale timestamp and a wrong secret are refused by both', () => {
    const t = now();
    const headers = { ...standardWebhookHeaders(payload, [secret], 'msg_1', t) };
    const stale = { ...standardWebhookHeaders(payload, [secret], 'msg_1', t - TOLERANCE_SECONDS - 1) };
    const tampered = payload.replace('2500', '9500');
    for (const [body, h, key, reason] of [
      [tampered, headers, secret, 'signature_mismatch'],
      [payload, stale, secret, 'timestamp_too_old'],
      [payload, headers, other, 'signature_mismatch'],
    ] as const) {
      expect(standardAccepts(body, h, key)).toBe(false);
      expect(verifyStandardWebhook(body, h, { secrets: [key], now: t })).toMatchObject({ accepted: false, reason });
    }
  });

  it('a replayed id under another id is refused: the id is signed too', () => {
    const t = now();
    const headers = { ...standardWebhookHeaders(payload, [secret], 'msg_1', t), 'webhook-id': 'msg_2' };
    expect(standardAccepts(payload, headers, secret)).toBe(false);
    expect(verifyStandardWebhook(payload, headers, { secrets: [secret], now: t })).toMatchObject({ accepted: false, reason: 'signature_mismatch' });
  });

  it('during a rotation webhook-signature lists both signatures, and either secret verifies', () => {
    const t = now();
    const headers = { ...standardWebhookHeaders(payload, [other, secret], 'msg_1', t) };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const key of [secret, other]) {
      expect(standardAccepts(payload, headers, key)).toBe(true);
      expect(verifyStandardWebhook(payload, headers, { secrets: [key], now: t })).toMatchObject({ accepted: true });
    }
  });
});

describe('constant-time comparison', () => {
  it('says equal only for equal strings, of any length', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});

describe('npm run webhook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webhook-cli-'));
  const file = join(dir, 'payload.json');
  writeFileSync(file, payload);

  it('sign prints headers that stripe-node and standardwebhooks accept, and verify accepts them', () => {
    const t = now();
    const signed = runWebhookCommand(['sign', '--secret', secret, '--timestamp', String(t), '--id', 'msg_9', file], t);
    expect(signed.status).toBe(0);
    const header = (name: string) => signed.out.find((l) => l.toLowerCase().startsWith(`${name}: `))!.slice(name.length + 2);
    expect(stripeAccepts(payload, header('stripe-signature'), secret)).toBe(true);
    const standard = { 'webhook-id': header('webhook-id'), 'webhook-timestamp': header('webhook-timestamp'), 'webhook-signature': header('webhook-signature') };
    expect(standardAccepts(payload, standard, secret)).toBe(true);
    expect(runWebhookCommand(['verify', '--secret', secret, '--stripe-signature', header('stripe-signature'), file], t)).toMatchObject({ status: 0 });
    const sw = ['--webhook-id', standard['webhook-id'], '--webhook-timestamp', standard['webhook-timestamp'], '--webhook-signature', standard['webhook-signature']];
    expect(runWebhookCommand(['verify', '--secret', secret, ...sw, file], t)).toMatchObject({ status: 0 });
  });

  it('verify says why it refuses: a replay past the tolerance, a wrong secret', () => {
    const t = now();
    const signed = runWebhookCommand(['sign', '--secret', secret, '--timestamp', String(t - 3600), file], t);
    const header = signed.out[0]!.slice('Stripe-Signature: '.length);
    const old = runWebhookCommand(['verify', '--secret', secret, '--stripe-signature', header, file], t);
    expect(old).toMatchObject({ status: 1, out: [expect.stringMatching(/refused .*timestamp too old: signed 3600 s ago/)] });
    const wrong = runWebhookCommand(['verify', '--secret', other, '--stripe-signature', header, '--now', String(t - 3600), file], t);
    expect(wrong).toMatchObject({ status: 1, out: [expect.stringMatching(/signature mismatch/)] });
  });

  it('--help gives the usage and status 0', () => {
    expect(runWebhookCommand(['--help'])).toMatchObject({ status: 0, out: [expect.stringMatching(/^usage:\n  npm run webhook -- secret/)], err: [] });
  });

  it('bad arguments give the usage and status 2, never a stack trace', () => {
    expect(runWebhookCommand(['sign', file])).toMatchObject({ status: 2, err: expect.arrayContaining([expect.stringMatching(/--secret is required/)]) });
    expect(runWebhookCommand(['sign', '--secret', secret, '--timestamp', 'yesterday', file])).toMatchObject({ status: 2, err: [expect.stringMatching(/whole seconds/)] });
    expect(runWebhookCommand(['verify', '--secret', secret, join(dir, 'missing.json')])).toMatchObject({ status: 2 });
    expect(runWebhookCommand(['frobnicate'])).toMatchObject({ status: 2 });
  });

  it('runs as a command: a refusal exits 1 with the reason on stdout', () => {
    const t = now();
    const header = stripeSignatureHeader(payload, [secret], t - 3600);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'tools/webhook/cli.ts', 'verify', '--secret', secret, '--stripe-signature', header, file], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^refused \(Stripe-Signature\): timestamp too old/);
  });
});
