/**
 * Task 3.1, first part: the merchant verifies a delivery's signature before anything else.
 *
 * The deliveries are signed by the project's own signer (`tools/webhook/signing.ts`, checked
 * against stripe-node in the tests): genuine ones, including during a secret rotation and with
 * the receiver's clock a little behind, which a right answer accepts; and forged, tampered and
 * replayed ones, which it refuses. A comparison that stops at the first differing character
 * cannot be seen in a verdict, and timing it would make the verdict depend on the machine's
 * load: it is looked for in the source text of the answers instead.
 */
import { stripeSignature, stripeSignatureHeader, TOLERANCE_SECONDS } from '../../tools/webhook/signing.ts';
import type { VerifyDelivery } from './answer-types.ts';

/** When the scenario's deliveries are signed: 2026-01-01T00:00:00Z, in unix seconds. */
export const SIGNED_AT = 1_767_225_600;

/** The endpoint's secrets: the one in use, the one that replaces it in a rotation, another endpoint's. */
export const secrets = {
  current: 'whsec_pQh3M0uY1cS4b8mJ2kVw7nR9tX5zA6dE',
  next: 'whsec_Lr8Tq2Wv6Yb1Nc5Xm9Kd3Hf7Jg0Pz4Sa',
  otherEndpoint: 'whsec_Ze1Rk5Vm9Qb3Wt7Yc2Nh6Lp0Xs4Dj8Gf',
};

/** The raw body of the scenario's delivery, as Stripe sends it (a refund of 2,500 of a 10,000 charge). */
export function scenarioPayload(amountRefunded = 2_500): string {
  return JSON.stringify(
    {
      id: 'evt_3PqRf2LkdIwHu7ix0x9k1a2b',
      object: 'event',
      type: 'refund.created',
      created: SIGNED_AT,
      data: { object: { id: 're_3PqRf2LkdIwHu7ix0c1d2e3f', object: 'refund', amount: amountRefunded, charge: 'ch_3PqRf2LkdIwHu7ix0a1b2c3d', currency: 'usd', status: 'succeeded' } },
    },
    null,
    2,
  );
}

export interface VerificationCase {
  /** What the delivery is, in the merchant's words (printed when the answer gets it wrong). */
  what: string;
  payload: string;
  signatureHeader: string;
  /** The secrets the merchant holds. */
  secrets: string[];
  /** The merchant's clock, in unix seconds. */
  nowSeconds: number;
  genuine: boolean;
}

/** The deliveries a verifier is tried on: genuine ones first, then forgeries and replays. */
export function verificationCases(): VerificationCase[] {
  const body = scenarioPayload();
  const signed = stripeSignatureHeader(body, [secrets.current], SIGNED_AT);
  const rotating = stripeSignatureHeader(body, [secrets.current, secrets.next], SIGNED_AT);
  const late = SIGNED_AT + 3600;
  const lastCharChanged = signed.slice(0, -1) + (signed.endsWith('0') ? '1' : '0');
  return [
    { what: 'a genuine delivery, received 3 s after it was signed', payload: body, signatureHeader: signed, secrets: [secrets.current], nowSeconds: SIGNED_AT + 3, genuine: true },
    { what: 'a genuine delivery, received by a server whose clock is 2 s behind the sender’s', payload: body, signatureHeader: signed, secrets: [secrets.current], nowSeconds: SIGNED_AT - 2, genuine: true },
    {
      what: 'a genuine delivery during a secret rotation, signed with the old and the new secret, received by a server that already holds only the new one',
      payload: body,
      signatureHeader: rotating,
      secrets: [secrets.next],
      nowSeconds: SIGNED_AT + 1,
      genuine: true,
    },
    {
      what: 'a genuine delivery during a secret rotation, signed with the old and the new secret, received by a server that still holds only the old one',
      payload: body,
      signatureHeader: rotating,
      secrets: [secrets.current],
      nowSeconds: SIGNED_AT + 1,
      genuine: true,
    },
    {
      what: 'a genuine delivery signed with the old secret only, received by a server that holds the new secret and the old one while it rolls them',
      payload: body,
      signatureHeader: signed,
      secrets: [secrets.next, secrets.current],
      nowSeconds: SIGNED_AT + 1,
      genuine: true,
    },
    { what: 'a genuine header on a body changed after signing (the refund’s amount raised)', payload: scenarioPayload(9_500), signatureHeader: signed, secrets: [secrets.current], nowSeconds: SIGNED_AT + 3, genuine: false },
    { what: 'a genuine delivery captured and sent again an hour later', payload: body, signatureHeader: signed, secrets: [secrets.current], nowSeconds: late, genuine: false },
    {
      what: 'a delivery captured and sent again an hour later with its timestamp changed to the time of sending (the signature left as it was)',
      payload: body,
      signatureHeader: `t=${late},v1=${stripeSignature(body, secrets.current, SIGNED_AT)}`,
      secrets: [secrets.current],
      nowSeconds: late + 1,
      genuine: false,
    },
    {
      what: 'a delivery signed with another endpoint’s secret',
      payload: body,
      signatureHeader: stripeSignatureHeader(body, [secrets.otherEndpoint], SIGNED_AT),
      secrets: [secrets.current],
      nowSeconds: SIGNED_AT + 3,
      genuine: false,
    },
    { what: 'a delivery whose signature differs from the genuine one in its last character', payload: body, signatureHeader: lastCharChanged, secrets: [secrets.current], nowSeconds: SIGNED_AT + 3, genuine: false },
    { what: 'a delivery with no Stripe-Signature header (an empty one)', payload: body, signatureHeader: '', secrets: [secrets.current], nowSeconds: SIGNED_AT + 3, genuine: false },
    { what: 'a delivery with a timestamp and no signature', payload: body, signatureHeader: `t=${SIGNED_AT}`, secrets: [secrets.current], nowSeconds: SIGNED_AT + 3, genuine: false },
  ];
}

/**
 * Ways to compare in constant time that a source text may show: Node's `timingSafeEqual`,
 * WebCrypto's `subtle.verify`, stripe-node's own verifier, or a loop that ORs together the XOR
 * of every pair of characters before it looks at the result.
 */
const constantTimeEvidence = [/timingSafeEqual/, /subtle\s*\.\s*verify/, /webhooks\s*\.\s*(constructEvent|signature\s*\.\s*verifyHeader)/, /\|=[^;\n]*\^/, /\^[^;\n]*\|=/];

/** The source without its comments (roughly: enough that a comment naming a function is not a call of it). */
const withoutComments = (source: string) => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

export const showsConstantTimeComparison = (source: string) => {
  const code = withoutComments(source);
  return constantTimeEvidence.some((pattern) => pattern.test(code));
};

export type CaseOutcome = { case: VerificationCase; accepted: boolean } | { case: VerificationCase; threw: unknown } | { case: VerificationCase; returned: unknown };

/** The first case the verifier gets wrong (or throws on, or answers with something other than a boolean). */
export function firstWrongVerdict(verify: VerifyDelivery): CaseOutcome | undefined {
  for (const c of verificationCases()) {
    let verdict: unknown;
    try {
      verdict = verify(c.payload, c.signatureHeader, [...c.secrets], c.nowSeconds);
    } catch (threw) {
      return { case: c, threw };
    }
    if (typeof verdict !== 'boolean') return { case: c, returned: verdict };
    if (verdict !== c.genuine) return { case: c, accepted: verdict };
  }
  return undefined;
}

/** The delivery as the merchant's server sees it, for the trace. */
export const describeCase = (c: VerificationCase) =>
  [
    `verifyDelivery(payload, signatureHeader, secrets, nowSeconds) with`,
    `  payload:         ${c.payload.replace(/\s+/g, ' ')}`,
    `  signatureHeader: ${JSON.stringify(c.signatureHeader)}`,
    `  secrets:         ${JSON.stringify(c.secrets)}`,
    `  nowSeconds:      ${c.nowSeconds} (${c.nowSeconds - SIGNED_AT >= 0 ? '+' : ''}${c.nowSeconds - SIGNED_AT} s after ${SIGNED_AT})`,
  ].join('\n');

export { TOLERANCE_SECONDS };
