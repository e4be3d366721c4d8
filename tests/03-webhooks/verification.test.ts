/**
 * The first part of 3.1, the signature check, tried with wrong verifiers a merchant might write
 * and with right ones that differ from the key.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { chapter } from '../../specs/03-webhooks/chapter.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { verificationCases } from '../../specs/03-webhooks/verification.ts';
import type { ChapterThreeAnswers, VerifyDelivery } from '../../specs/03-webhooks/answer-types.ts';

const reference = await chapter.loadAnswers('solutions/03-webhooks');
const task = chapter.tasks.find((t) => t.id === '3.1')!;
/** A verifier judged on its own source text (the function's), as if it were the whole answers file. */
const check = (verifyDelivery: VerifyDelivery, answerSource = verifyDelivery.toString()) =>
  runTask(chapter, task, { ...reference, verifyDelivery, answerSource } satisfies ChapterThreeAnswers);

const parse = (header: string) => {
  const fields = header.split(',').map((f) => f.split('='));
  return { t: fields.find(([k]) => k === 't')?.[1] ?? '', v1: fields.filter(([k]) => k === 'v1').map(([, v]) => v ?? '') };
};
const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');
const safeEqual = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

describe('3.1, the signature check: wrong verifiers fail, and the message does not give the answer away', () => {
  const wrong: [string, VerifyDelivery, RegExp][] = [
    ['no verification at all', () => true, /accepts a genuine header on a body changed after signing/],
    [
      'no timestamp check',
      (payload, header, secrets) => {
        const { t, v1 } = parse(header);
        return secrets.some((s) => v1.some((sig) => safeEqual(sig, hmac(s, `${t}.${payload}`))));
      },
      /accepts a genuine delivery captured and sent again an hour later/,
    ],
    [
      'only the first v1 signature read',
      (payload, header, secrets, now) => {
        const { t, v1 } = parse(header);
        return Math.abs(now - Number(t)) <= 300 && secrets.some((s) => safeEqual(v1[0] ?? '', hmac(s, `${t}.${payload}`)));
      },
      /refuses a genuine delivery during a secret rotation/,
    ],
    [
      'only the first secret tried',
      (payload, header, secrets, now) => {
        const { t, v1 } = parse(header);
        return Math.abs(now - Number(t)) <= 300 && v1.some((sig) => safeEqual(sig, hmac(secrets[0]!, `${t}.${payload}`)));
      },
      /refuses a genuine delivery signed with the old secret only, received by a server that holds the new secret and the old one/,
    ],
    [
      'the body signed without its timestamp',
      (payload, header, secrets, now) => {
        const { t, v1 } = parse(header);
        return Math.abs(now - Number(t)) <= 300 && secrets.some((s) => v1.some((sig) => safeEqual(sig, hmac(s, payload))));
      },
      /refuses a genuine delivery, received 3 s after/,
    ],
    [
      'a timestamp from the future refused outright (no allowance for clocks that differ)',
      (payload, header, secrets, now) => {
        const { t, v1 } = parse(header);
        return Number(t) <= now && now - Number(t) <= 300 && secrets.some((s) => v1.some((sig) => safeEqual(sig, hmac(s, `${t}.${payload}`))));
      },
      /refuses a genuine delivery, received by a server whose clock is 2 s behind/,
    ],
  ];
  it.each(wrong)('%s fails', async (_, verify, message) => {
    const report = await check(verify);
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
    expect(report.trace).toMatch(/signatureHeader/);
    // Neither the tolerance nor a way to compare appears in the message.
    expect(report.message).not.toMatch(/300|timingSafeEqual|five minutes/);
  });

  it('a right verifier comparing with === fails: no constant-time comparison', async () => {
    const byEquality: VerifyDelivery = (payload, header, secrets, now) => {
      const { t, v1 } = parse(header);
      return Math.abs(now - Number(t)) <= 300 && secrets.some((s) => v1.some((sig) => sig === hmac(s, `${t}.${payload}`)));
    };
    const report = await check(byEquality);
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/no constant-time comparison of signatures/) });
    expect(report.message).not.toMatch(/timingSafeEqual/);
  });

  it('a verifier that throws on a malformed header is an error, not a fail', async () => {
    const throwing: VerifyDelivery = (payload, header, secrets, now) => {
      if (!header.includes('v1=')) throw new Error('bad header');
      return reference.verifyDelivery(payload, header, secrets, now);
    };
    const report = await check(throwing, reference.answerSource);
    expect(report).toMatchObject({ status: 'error', message: expect.stringMatching(/threw Error: bad header on a delivery with no Stripe-Signature header/) });
  });

  it('a verifier that returns something other than true or false is the wrong shape', async () => {
    const report = await check((() => 'ok') as never, reference.answerSource);
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/wrong shape: verifyDelivery returned "ok"/) });
  });
});

describe('3.1, the signature check: right verifiers that differ from the key pass', () => {
  const stripe = new Stripe('sk_test_unused');
  const right: [string, VerifyDelivery][] = [
    [
      'stripe-node’s constructEvent, tried with each secret',
      (payload, header, secrets, now) =>
        secrets.some((secret) => {
          try {
            stripe.webhooks.constructEvent(payload, header, secret, 300, undefined, now * 1000);
            return true;
          } catch {
            return false;
          }
        }),
    ],
    [
      'an XOR loop over hex strings, a one-minute tolerance for age only',
      (payload, header, secrets, now) => {
        const { t, v1 } = parse(header);
        if (!/^\d+$/.test(t) || now - Number(t) > 60) return false;
        const same = (a: string, b: string) => {
          if (a.length !== b.length) return false;
          let diff = 0;
          for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
          return diff === 0;
        };
        return secrets.some((s) => v1.some((sig) => same(sig, hmac(s, `${t}.${payload}`))));
      },
    ],
  ];
  it.each(right)('%s passes', async (_, verify) => {
    const report = await check(verify);
    expect(report.status, report.message).toBe('pass');
  });

  it('every genuine case is accepted and every forged one refused by stripe-node itself', () => {
    for (const c of verificationCases()) {
      const accepted = c.secrets.some((secret) => {
        try {
          stripe.webhooks.constructEvent(c.payload, c.signatureHeader, secret, 300, undefined, c.nowSeconds * 1000);
          return true;
        } catch {
          return false;
        }
      });
      expect(accepted, c.what).toBe(c.genuine);
    }
  });
});

describe('3.1, the source text read for a constant-time comparison', () => {
  it('the student stub neither calls nor names one, so an answer comparing with === cannot pass on the stub’s text', async () => {
    const { readFileSync } = await import('node:fs');
    const { showsConstantTimeComparison } = await import('../../specs/03-webhooks/verification.ts');
    expect(showsConstantTimeComparison(readFileSync('exercises/03-webhooks/answers.ts', 'utf8'))).toBe(false);
    expect(showsConstantTimeComparison(readFileSync('solutions/03-webhooks/answers.ts', 'utf8'))).toBe(true);
  });

  it('a comment that names timingSafeEqual is not a call of it', async () => {
    const { showsConstantTimeComparison } = await import('../../specs/03-webhooks/verification.ts');
    expect(showsConstantTimeComparison('// TODO: crypto.timingSafeEqual\nreturn a === b;')).toBe(false);
    expect(showsConstantTimeComparison('/* timingSafeEqual */ return a === b;')).toBe(false);
    expect(showsConstantTimeComparison('return crypto.timingSafeEqual(x, y); // done')).toBe(true);
  });
});

describe('3.1, what the loader reads', () => {
  it('the answers’ source is the answers’ own files, not the key beside the reference', () => {
    expect(reference.answerSource).toMatch(/export function verifyDelivery/);
    expect(reference.answerSource).not.toMatch(/buildKey/);
  });
});
