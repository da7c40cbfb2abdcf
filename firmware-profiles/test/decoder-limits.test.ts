import { describe, expect, it } from 'vitest';
import { decodeReply, REPLY_LIMITS } from '../src/decoder.js';

/**
 * Proves the decoder refuses a reply too deep or too large with a clear error, without throwing
 * (issue 17 item 7: 100,000 nested arrays threw RangeError and took +37 MB), and still decodes
 * ordinary nesting, brackets inside strings, and the repairs at the limit.
 */
describe('decodeReply limits', () => {
  it.each([
    ['100,000 nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 64],
    ['100,000 nested objects cut short', '{"a":'.repeat(100_000), 64 * 5],
    ['a deep reply needing repair', `${'['.repeat(50_000)}1,]`, 64],
  ])('%s: refused with the depth and where', (_name, raw, at) => {
    let d: ReturnType<typeof decodeReply> | undefined;
    expect(() => {
      d = decodeReply(raw);
    }).not.toThrow();
    expect(d).toEqual({
      value: null,
      repairs: [],
      error: `reply nested deeper than 64 levels (at character ${at})`,
    });
  });

  it('refuses a reply over the size limit', () => {
    const raw = `{"a":"${'x'.repeat(REPLY_LIMITS.maxChars)}"}`;
    expect(decodeReply(raw).error).toBe(
      `reply too large: ${raw.length} characters over the limit of ${REPLY_LIMITS.maxChars}`,
    );
  });

  it('decodes 64 levels, and brackets inside strings do not count', () => {
    const deep = `${'['.repeat(63)}{"s":"[[[[{{{{\\"]]"}${']'.repeat(63)}`;
    const d = decodeReply(deep);
    expect(d.error).toBeNull();
    let v = d.value;
    for (let i = 0; i < 63; i++) v = (v as unknown[])[0];
    expect(v).toEqual({ s: '[[[[{{{{"]]' });
  });
});
