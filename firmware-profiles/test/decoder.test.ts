import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeReply, splitMultiCommand } from '../src/decoder.js';

/** Each repair on a minimal body; the recorded real replies that need them are in testcases/. */
const CASES: { name: string; raw: string; value: unknown; repairs: string[] }[] = [
  { name: 'strict JSON needs no repair', raw: '{"a":1}', value: { a: 1 }, repairs: [] },
  { name: 'NUL terminator is stripped', raw: '{"a":1}\0', value: { a: 1 }, repairs: ['nul-terminator'] },
  {
    name: '}{ gets its comma',
    raw: '{"S":[{"a":1}{"b":2}]}',
    value: { S: [{ a: 1 }, { b: 2 }] },
    repairs: ['missing-comma-}{'],
  },
  {
    name: ',} and ,] lose the comma',
    raw: '{"a":[1,2,],"b":3,}',
    value: { a: [1, 2], b: 3 },
    repairs: ['trailing-comma'],
  },
  {
    name: '[,{ loses the comma',
    raw: '{"S":[,{"a":1}]}',
    value: { S: [{ a: 1 }] },
    repairs: ['leading-comma'],
  },
  {
    name: 'body starting with , becomes an object',
    raw: ',"id":1}',
    value: { id: 1 },
    repairs: ['leading-comma'],
  },
  {
    name: 'bare nan/inf become null',
    raw: '{"a":nan,"b":-inf,"c":inf,"d":1}',
    value: { a: null, b: null, c: null, d: 1 },
    repairs: ['bare-nan'],
  },
  {
    name: 'quoted nan/inf become null',
    raw: '{"a":"nan","b":"inf","c":"x"}',
    value: { a: null, b: null, c: 'x' },
    repairs: ['quoted-nan'],
  },
  {
    name: "invalid \\' escape is dropped",
    raw: `{"v":"\\'2020\\'"}`,
    value: { v: "'2020'" },
    repairs: ['invalid-escape'],
  },
  {
    name: 'raw newline inside a string is escaped',
    raw: '{"m":"a\nb"}',
    value: { m: 'a\nb' },
    repairs: ['control-char-in-string'],
  },
  {
    name: 'trailing garbage after the document is cut',
    raw: '{"a":1}"}',
    value: { a: 1 },
    repairs: ['trailing-garbage'],
  },
  {
    name: 'truncated body is closed at its last complete member',
    raw: '{"S":[{"a":1,"b":"xy',
    value: { S: [{ a: 1, b: 'xy' }] },
    repairs: ['truncated'],
  },
  { name: 'truncated after a key gets null', raw: '{"a":1,"b":', value: { a: 1 }, repairs: ['truncated'] },
  {
    name: 'JSONP callback is unwrapped',
    raw: 'cb({"a":1, });',
    value: { a: 1 },
    repairs: ['jsonp', 'trailing-comma'],
  },
  {
    name: 'text format becomes the JSON shape',
    raw: 'STATUS=S,When=1,Code=7,Msg=1 Pool(s),Description=cgminer 4.11.1|POOL=0,URL=stratum+tcp://p:3333,User=a\\,b|',
    value: {
      STATUS: [{ STATUS: 'S', When: 1, Code: 7, Msg: '1 Pool(s)', Description: 'cgminer 4.11.1' }],
      POOLS: [{ POOL: 0, URL: 'stratum+tcp://p:3333', User: 'a,b' }],
    },
    repairs: ['text-format'],
  },
  {
    name: 'text format keeps commas inside Avalon [..] tokens',
    raw: 'STATS=0,ID=AVA100,MM ID0=Ver[1] SYSTEMSTATU[Work: In Work, Hash Board: 3 ] MGHS[1 2]',
    value: {
      STATS: [
        { STATS: 0, ID: 'AVA100', 'MM ID0': 'Ver[1] SYSTEMSTATU[Work: In Work, Hash Board: 3 ] MGHS[1 2]' },
      ],
    },
    repairs: ['text-format'],
  },
  {
    name: 'bare section name in text format',
    raw: 'SUMMARY,Elapsed=5,MHS av=1.5',
    value: { SUMMARY: [{ Elapsed: 5, 'MHS av': 1.5 }] },
    repairs: ['text-format'],
  },
  {
    name: 'text keeps leading-zero ids as strings',
    raw: 'VERSION,DNA=0000000000000000,MAC=aaa5836a0f14',
    value: { VERSION: [{ DNA: '0000000000000000', MAC: 'aaa5836a0f14' }] },
    repairs: ['text-format'],
  },
  { name: '}{ inside a string is left alone', raw: '{"a":"}{"}', value: { a: '}{' }, repairs: [] },
];

describe('decodeReply', () => {
  it.each(CASES)('$name', ({ raw, value, repairs }) => {
    const d = decodeReply(raw);
    expect(d.error).toBeNull();
    expect(d.value).toEqual(value);
    expect(d.repairs).toEqual(repairs);
  });

  it('reports an empty or non-JSON body as an error, naming what it saw', () => {
    expect(decodeReply('').error).toBe('empty reply');
    expect(decodeReply('\0').error).toBe('empty reply');
    expect(decodeReply('<html>oops</html>').error).toMatch(/not JSON or cgminer text: starts with "<html>/);
    expect(decodeReply('{"a":1,,,"b"::}').error).toMatch(/invalid JSON after repairs/);
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const d = decodeReply(s);
        expect(d.value === null || typeof d.value === 'object').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('returns valid JSON unchanged and without repairs', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const o = { STATUS: [{ STATUS: 'S' }], X: [v] };
        const d = decodeReply(JSON.stringify(o));
        // "nan"/"inf" strings are the one intended change.
        if (/"-?(nan|inf|infinity)"/i.test(JSON.stringify(o))) return;
        expect(d.repairs).toEqual([]);
        expect(d.value).toEqual(JSON.parse(JSON.stringify(o)));
      }),
      { numRuns: 500 },
    );
  });

  it('recovers any prefix-truncated JSON reply without throwing', () => {
    const full = JSON.stringify({
      STATUS: [{ STATUS: 'S', Msg: 'Summary' }],
      SUMMARY: [{ Elapsed: 5, 'GHS 5s': '1.5', a: [1, 2] }],
      id: 1,
    });
    for (let n = 1; n < full.length; n++) {
      const d = decodeReply(full.slice(0, n));
      if (d.error === null) expect(d.repairs).toContain('truncated');
    }
  });
});

describe('splitMultiCommand', () => {
  it('splits summary+pools into one complete reply per command', () => {
    const s = { STATUS: [{ STATUS: 'S' }], SUMMARY: [{ Elapsed: 1 }] };
    const p = { STATUS: [{ STATUS: 'S' }], POOLS: [] };
    expect(splitMultiCommand({ summary: [s], pools: [p], id: 1 })).toEqual({ summary: s, pools: p });
  });
  it('returns null for an ordinary reply', () => {
    expect(splitMultiCommand({ STATUS: [{ STATUS: 'S' }], SUMMARY: [{}] })).toBeNull();
    expect(splitMultiCommand([1])).toBeNull();
  });
});
