/**
 * The explorer's set of seen states: 64-bit fingerprints in an open-addressing hash table made of
 * typed arrays, as TLC keeps its states (TLC stores a 64-bit fingerprint per state, not the state;
 * see Yu, Manolios and Lamport, "Model checking TLA+ specifications", CHARME 1999, and TLC's
 * `FPSet`). A JS `Map` keyed by strings keeps every key alive (hundreds of bytes per state),
 * hashes and compares whole strings, and refuses its 16,777,216th entry with a `RangeError`;
 * this table holds 12 bytes per slot, at most half full, and grows by doubling.
 *
 * Two different states with the same fingerprint would be taken for one: with n states the
 * chance of any such collision is about n² / 2⁶⁵ (`collisionProbability`), 5·10⁻⁸ at the
 * 1.3 million states of the largest bench run, far less at the chapters' sizes.
 */

/** Thrown when the table would pass `maxSlots`; the explorer turns it into its budget error. */
export class FingerprintTableFull extends Error {}

export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** State number + 1 in each slot; 0 marks an empty slot. */
  private value: Int32Array;
  private mask: number;
  size = 0;

  constructor(
    initialSlots = 1 << 12,
    /** Slots never grow past this (2²⁸ slots are 3 GB). */
    private readonly maxSlots = 1 << 28,
  ) {
    let slots = 16;
    while (slots < initialSlots) slots *= 2;
    this.hi = new Uint32Array(slots);
    this.lo = new Uint32Array(slots);
    this.value = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /**
   * The number stored with fingerprint (hi, lo); when the fingerprint is new, store `next` with
   * it and return `~next` (negative), so that one probe serves both lookup and insert.
   */
  getOrAdd(hi: number, lo: number, next: number): number {
    const mask = this.mask;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const stored = this.value[slot]!;
      if (stored === 0) break;
      if (this.lo[slot] === lo && this.hi[slot] === hi) return stored - 1;
      slot = (slot + 1) & mask;
    }
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    this.value[slot] = next + 1;
    if (++this.size * 2 > mask) this.grow();
    return ~next;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.value.length * 12;
  }

  private grow(): void {
    const slots = this.value.length * 2;
    if (slots > this.maxSlots) throw new FingerprintTableFull(`more than ${this.maxSlots / 2} fingerprints`);
    const { hi, lo, value } = this;
    this.hi = new Uint32Array(slots);
    this.lo = new Uint32Array(slots);
    this.value = new Int32Array(slots);
    this.mask = slots - 1;
    for (let i = 0; i < value.length; i++) {
      const stored = value[i]!;
      if (stored === 0) continue;
      let slot = (lo[i]! ^ Math.imul(hi[i]!, 0x9e3779b1)) & this.mask;
      while (this.value[slot] !== 0) slot = (slot + 1) & this.mask;
      this.hi[slot] = hi[i]!;
      this.lo[slot] = lo[i]!;
      this.value[slot] = stored;
    }
  }
}

/** The chance that n distinct states include two with one 64-bit fingerprint (birthday bound). */
export function collisionProbability(n: number): number {
  return (n * (n - 1)) / 2 ** 65;
}

// Two independent 32-bit halves (MurmurHash3's 32-bit mixing, with two seeds), so that the pair
// behaves as one 64-bit hash.
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixIn(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const SEED_HI = 0x2545f491;
const SEED_LO = 0x9e3779b9;

/** The fingerprint of a string, written to `out[0]` (high half) and `out[1]` (low half). */
export function fingerprintString(text: string, out: Uint32Array): void {
  let hi = SEED_HI;
  let lo = SEED_LO;
  const n = text.length;
  let i = 0;
  // Two UTF-16 code units per 32-bit block.
  for (; i + 1 < n; i += 2) {
    const k = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
    hi = mixIn(hi, k);
    lo = mixIn(lo, k ^ 0x5bd1e995);
  }
  if (i < n) {
    const k = text.charCodeAt(i);
    hi = mixIn(hi, k);
    lo = mixIn(lo, k ^ 0x5bd1e995);
  }
  out[0] = finish(hi, n);
  out[1] = finish(lo, n);
}

/** The fingerprint of `words` 32-bit words of `state` from `offset`, into `out[0..1]`. */
export function fingerprintWords(state: Uint32Array, offset: number, words: number, out: Uint32Array): void {
  let hi = SEED_HI;
  let lo = SEED_LO;
  for (let i = 0; i < words; i++) {
    const k = state[offset + i]!;
    hi = mixIn(hi, k);
    lo = mixIn(lo, k ^ 0x5bd1e995);
  }
  out[0] = finish(hi, words);
  out[1] = finish(lo, words);
}

/**
 * The fingerprint of plain data, taken by walking it: two values get one fingerprint when (up to
 * the collision chance) `JSON.stringify` writes them alike, without writing the string. A state's
 * JSON repeats every property name and spends most of its time building text that is hashed and
 * dropped; here each name and short string is hashed as a number, and numbers as themselves.
 * Measured on chapter 1's crash-recovery space (4,919 states of about 900 characters of JSON):
 * 1.25 µs a state against 3.8 µs for `JSON.stringify` then `fingerprintString`.
 *
 * As JSON: properties in their own order (integer-like names first), an undefined or function
 * property left out, and in an array written as null, as are NaN and ±Infinity; −0 is 0; an
 * object's `toJSON` is followed. Unlike JSON, inherited enumerable properties count: objects
 * that differ only there are told apart, never merged.
 */
export function fingerprintValue(value: unknown, out: Uint32Array): void {
  walkHi = SEED_HI;
  walkLo = SEED_LO;
  walkWords = 0;
  walk(value);
  out[0] = finish(walkHi, walkWords);
  out[1] = finish(walkLo, walkWords);
}

// The walk's running hash: module state rather than a closure, so that `put` costs two mixes.
let walkHi = 0;
let walkLo = 0;
let walkWords = 0;

function put(word: number): void {
  walkHi = mixIn(walkHi, word);
  walkLo = mixIn(walkLo, word ^ 0x5bd1e995);
  walkWords++;
}

// Each value starts with a tag, so that no two kinds of value hash as the same words.
const NULL = -1;
const FALSE = -2;
const TRUE = -3;
const INTEGER = -4;
const FLOAT = -5;
const NAMED_STRING = -6;
const SPELLED_STRING = -7;
const ARRAY = -8;
const OBJECT = -9;
const OBJECT_END = -10;
const BIGINT = -11;

/**
 * Property names and short strings get a number each, the first time they are met: a state's
 * strings are mostly the model's own words, met millions of times. Bounded, so that a model whose
 * strings never repeat spells them out once the table is full; a string has one encoding for the
 * life of the process (numbered once, or never).
 */
const stringNumbers = new Map<string, number>();
const MAX_NUMBERED_STRINGS = 1 << 16;
const MAX_NUMBERED_LENGTH = 64;

function putString(text: string): void {
  let number = stringNumbers.get(text);
  if (number === undefined && text.length <= MAX_NUMBERED_LENGTH && stringNumbers.size < MAX_NUMBERED_STRINGS) {
    number = stringNumbers.size;
    stringNumbers.set(text, number);
  }
  if (number !== undefined) {
    put(NAMED_STRING);
    put(number);
    return;
  }
  put(SPELLED_STRING);
  put(text.length);
  let i = 0;
  for (; i + 1 < text.length; i += 2) put(text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16));
  if (i < text.length) put(text.charCodeAt(i));
}

const float = new Float64Array(1);
const floatWords = new Uint32Array(float.buffer);

/** Values JSON leaves out of an object and writes as null in an array. */
const unwritten = (value: unknown) => value === undefined || typeof value === 'function' || typeof value === 'symbol';

function walk(value: unknown): void {
  switch (typeof value) {
    case 'string':
      putString(value);
      return;
    case 'number':
      // (−0 | 0) === −0 holds, so −0 hashes as 0, as JSON writes it.
      if ((value | 0) === value) {
        put(INTEGER);
        put(value);
      } else if (Number.isFinite(value)) {
        float[0] = value;
        put(FLOAT);
        put(floatWords[0]!);
        put(floatWords[1]!);
      } else put(NULL);
      return;
    case 'boolean':
      put(value ? TRUE : FALSE);
      return;
    case 'bigint':
      // JSON.stringify throws on a bigint; a state holding one is still a state.
      put(BIGINT);
      putString(String(value));
      return;
    case 'object': {
      if (value === null) return put(NULL);
      if (Array.isArray(value)) {
        put(ARRAY);
        put(value.length);
        for (const item of value) (unwritten(item) ? put(NULL) : walk(item));
        return;
      }
      const object = value as Record<string, unknown> & { toJSON?: unknown };
      if (typeof object.toJSON === 'function') return walk((object.toJSON as () => unknown)());
      put(OBJECT);
      // for…in rather than Object.keys: no array per object (1.25 µs a state against 1.7 µs).
      for (const name in object) {
        const item = object[name];
        if (unwritten(item)) continue;
        putString(name);
        walk(item);
      }
      put(OBJECT_END);
      return;
    }
    default:
      put(NULL);
  }
}
