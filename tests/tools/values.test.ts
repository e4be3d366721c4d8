import { describe, expect, test } from 'vitest';
import { fillValues } from '../../tools/build/generated.ts';

describe('scenario figures in prose', () => {
  test('a changed figure is rewritten wherever the text quotes it', () => {
    const text = 'The client retries after <!-- value:retryDelay -->5 s<!-- /value -->, then <!-- value:retryDelay -->5 s<!-- /value --> again.';
    expect(fillValues(text, { retryDelay: '12 s' })).toBe(
      'The client retries after <!-- value:retryDelay -->12 s<!-- /value -->, then <!-- value:retryDelay -->12 s<!-- /value --> again.',
    );
  });
  test('a figure the config does not have is an error naming the file', () => {
    expect(() => fillValues('<!-- value:ttl -->24 h<!-- /value -->', { retryDelay: '5 s' }, 'README.md')).toThrow(/README.md: no value named "ttl"/);
  });
});
