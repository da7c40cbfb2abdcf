import { describe, expect, it } from 'vitest';
import { RuleInputSchema } from '../src/alerts/rules.js';
import { WorkerPatternSchema } from '../src/core/config.js';
import {
  costBody,
  creditBody,
  decimalUnits,
  emptyCost,
  emptyCredit,
  emptyStake,
  stakeBody,
  validateCost,
  validateCredit,
  validateStake,
} from '../ui/app/views/editors/accounting-draft.js';
import { allowlistBody, patternError, poolError } from '../ui/app/views/editors/pool-draft.js';
import type { StoredRule } from '../ui/app/views/editors/rule-draft.js';
import { emptyToken, tokenBody, validateToken } from '../ui/app/views/editors/token-draft.js';

/**
 * The rules of the editors for pool allowlists and worker patterns, accounting entries and tokens
 * (issue 19 item 6): each wrong field gets its own error under its name, so the page writes it
 * beside that field; a valid draft becomes exactly the body the API takes, amounts exact to the
 * satoshi and the HSS base unit, a decimal comma read as a point.
 */
describe('decimal amounts', () => {
  it('are exact integers of the unit, a comma read as a point, too many decimals refused', () => {
    expect(decimalUnits('0,12345678', 8)).toBe('12345678');
    expect(decimalUnits('21000000', 8)).toBe('2100000000000000');
    expect(decimalUnits('1.5', 18)).toBe('1500000000000000000');
    expect(decimalUnits('0.123456789', 8)).toBeNull();
    expect(decimalUnits('-1', 8)).toBeNull();
    expect(decimalUnits('1e3', 8)).toBeNull();
  });
});

describe('pool credit and cost', () => {
  it('names each wrong field; a valid credit is sent in satoshis as text', () => {
    const e = validateCredit({ periodId: '', pool: '', reference: 'x'.repeat(201), amountBtc: '0' });
    expect(Object.keys(e).sort()).toEqual(['amountBtc', 'periodId', 'pool', 'reference']);
    expect(e['amountBtc']!.key).toBe('form.positive');
    expect(e['reference']).toEqual({ key: 'form.tooLong', values: { max: 200 } });
    const d = { ...emptyCredit('2026-11-23'), pool: ' ViaBTC ', reference: 'p1', amountBtc: '0,5' };
    expect(validateCredit(d)).toEqual({});
    expect(creditBody(d)).toEqual({
      periodId: '2026-11-23',
      pool: 'ViaBTC',
      reference: 'p1',
      amountSats: '50000000',
    });
  });

  it('a fiat cost goes as its decimal (6 places at most), a BTC cost in satoshis', () => {
    const usd = { ...emptyCost('2026-11-23'), description: 'crane', amount: '120,50' };
    expect(validateCost(usd)).toEqual({});
    expect(costBody(usd)).toEqual({
      periodId: '2026-11-23',
      description: 'crane',
      currency: 'USD',
      amount: '120.5',
    });
    expect(validateCost({ ...usd, amount: '1.0000001' })['amount']!.key).toBe('form.decimal');
    expect(validateCost({ ...usd, currency: 'US' })['currency']!.key).toBe('form.currency');
    const inBtc = { ...usd, currency: 'BTC', amount: '0.00001' };
    expect(costBody(inBtc)).toEqual({
      periodId: '2026-11-23',
      description: 'crane',
      currency: 'BTC',
      amountSats: '1000',
    });
  });
});

describe('stake entry', () => {
  it('needs a staker, a node, an amount and a moment; zero HSS (leaving) is allowed', () => {
    expect(Object.keys(validateStake(emptyStake())).sort()).toEqual([
      'amountHss',
      'effectiveAt',
      'nodeId',
      'stakerId',
    ]);
    const d = { stakerId: 'staker-01', nodeId: 'node-1', amountHss: '0', effectiveAt: '2026-11-20T08:00' };
    expect(validateStake(d)).toEqual({});
    const b = stakeBody({ ...d, amountHss: '12500,250' });
    expect(b.amountHss).toBe('12500.25');
    expect(b.effectiveAt).toBe(new Date('2026-11-20T08:00').toISOString());
  });
});

describe('pool allowlist and worker patterns', () => {
  it('a pool is host:port with or without a scheme, once', () => {
    expect(poolError('stratum+tcp://pool.example:3333', [])).toBeUndefined();
    expect(poolError('pool.example:3333', [])).toBeUndefined();
    expect(poolError('pool.example', [])!.key).toBe('pools.hostPort');
    expect(poolError('pool.example:3333', ['pool.example:3333'])!.key).toBe('pools.already');
  });

  it('a pattern is checked as WorkerPatternSchema checks it', () => {
    for (const p of ['kz1.*', '*', 'a b', 'kz1.A01', '**', 'ж.1'])
      expect(patternError(p, []) === undefined, p).toBe(WorkerPatternSchema.safeParse(p).success);
  });

  it('a new site list is a valid rule; an existing rule keeps its figures with the list replaced', () => {
    expect(RuleInputSchema.safeParse(allowlistBody(null, 'kz1', ['a:1'])).success).toBe(true);
    const rule: StoredRule = {
      id: 'r1',
      kind: 'pool_not_allowed',
      scope: 'site',
      scopeId: 'kz1',
      severity: 'critical',
      enabled: true,
      threshold: null,
      clearThreshold: null,
      forPolls: 2,
      clearPolls: 1,
      params: { allowedPools: ['a:1'] },
    };
    const body = allowlistBody(rule, 'kz1', ['a:1', 'b:2']);
    expect(RuleInputSchema.parse(body)).toMatchObject({
      severity: 'critical',
      forPolls: 2,
      params: { allowedPools: ['a:1', 'b:2'] },
    });
  });
});

describe('token', () => {
  it('a staker token needs its staker, an agent token a container; others neither', () => {
    expect(validateToken(emptyToken())['name']!.key).toBe('form.required');
    expect(Object.keys(validateToken({ ...emptyToken(), name: 'x', role: 'staker' }))).toEqual(['stakerId']);
    expect(Object.keys(validateToken({ ...emptyToken(), name: 'x', role: 'agent' }))).toEqual(['places']);
    expect(tokenBody({ name: ' Aigerim ', role: 'operator', stakerId: 's', places: ['kz1/c1'] })).toEqual({
      name: 'Aigerim',
      role: 'operator',
    });
    expect(tokenBody({ name: 'a', role: 'agent', stakerId: '', places: ['kz1/c1'] })).toEqual({
      name: 'a',
      role: 'agent',
      places: [{ siteId: 'kz1', containerId: 'c1' }],
    });
  });
});
