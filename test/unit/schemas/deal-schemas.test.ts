import { describe, expect, it } from 'vitest';
import { PageQuery } from '../../../shared/schemas/common.js';
import {
  AmendDealRequest,
  CreateDealRequest,
  DealResponse,
  ListDealsQuery,
  toDealResponse,
} from '../../../shared/schemas/deal.js';
import { parseOrThrow } from '../../../shared/schemas/parse.js';
import { aDeal, aDealInput, issuesOf } from '../domain/fixtures.js';


describe('CreateDealRequest', () => {
  it('accepts the documented body, ownerId optional', () => {
    // Prepare
    const body = { ...aDealInput() };
    // Act
    const parsed = parseOrThrow(CreateDealRequest, body);
    // Assess
    expect(parsed).toEqual(body);
  });

  it('rejects an unknown field, naming it', () => {
    const issues = issuesOf(() => parseOrThrow(CreateDealRequest, { ...aDealInput(), status: 'approved' }));
    expect(issues).toEqual([{ path: 'status', message: 'unknown field "status"' }]);
  });

  it('rejects unknown fields inside nested objects with the full dotted path', () => {
    const body = { ...aDealInput(), totalValue: { amountMinor: 5, currency: 'USD', cents: true } };
    expect(issuesOf(() => parseOrThrow(CreateDealRequest, body))).toEqual([
      { path: 'totalValue.cents', message: 'unknown field "cents"' },
    ]);
  });

  it('names missing fields as required', () => {
    const { name: _name, ...body } = aDealInput();
    expect(issuesOf(() => parseOrThrow(CreateDealRequest, body))).toEqual([{ path: 'name', message: 'is required' }]);
  });

  it('reports wrong types per field with dotted paths', () => {
    // Prepare
    const body = { ...aDealInput(), totalValue: { amountMinor: '100', currency: 'usd' }, type: 'barter', startDate: '01/03/2026' };
    // Act
    const paths = issuesOf(() => parseOrThrow(CreateDealRequest, body)).map((i) => i.path);
    // Assess
    expect(paths.sort()).toEqual(['startDate', 'totalValue.amountMinor', 'totalValue.currency', 'type']);
  });

  it('rejects fractional and unsafe amounts', () => {
    for (const amountMinor of [1.5, -1, Number.MAX_SAFE_INTEGER + 2]) {
      const body = { ...aDealInput(), totalValue: { amountMinor, currency: 'USD' } };
      expect(issuesOf(() => parseOrThrow(CreateDealRequest, body)).map((i) => i.path)).toEqual(['totalValue.amountMinor']);
    }
  });

  it('rejects a non-object body with a root issue', () => {
    expect(issuesOf(() => parseOrThrow(CreateDealRequest, 'hello'))).toEqual([{ path: '', message: expect.any(String) }]);
  });
});

describe('AmendDealRequest', () => {
  it('accepts any subset of the mutable fields', () => {
    expect(parseOrThrow(AmendDealRequest, { name: 'New' })).toEqual({ name: 'New' });
    expect(parseOrThrow(AmendDealRequest, { ownerId: 'u', endDate: '2026-12-31' })).toEqual({ ownerId: 'u', endDate: '2026-12-31' });
  });

  it('rejects an empty patch', () => {
    expect(issuesOf(() => parseOrThrow(AmendDealRequest, {}))).toEqual([{ path: '', message: 'must contain at least one field' }]);
  });

  it.each(['status', 'version', 'accountId', 'id', 'createdAt'])('rejects system field %s as unknown', (field) => {
    expect(issuesOf(() => parseOrThrow(AmendDealRequest, { name: 'x', [field]: 'y' }))).toEqual([
      { path: field, message: `unknown field "${field}"` },
    ]);
  });
});

describe('ListDealsQuery and PageQuery', () => {
  it('coerces limit from the query string and defaults it to 25', () => {
    expect(parseOrThrow(ListDealsQuery, { limit: '10', status: 'draft' })).toEqual({ limit: 10, status: 'draft' });
    expect(parseOrThrow(ListDealsQuery, {})).toEqual({ limit: 25 });
    expect(parseOrThrow(PageQuery, { cursor: 'abc' })).toEqual({ limit: 25, cursor: 'abc' });
  });

  it.each(['0', '101', '2.5', 'ten', ''])('rejects limit=%s naming limit', (limit) => {
    expect(issuesOf(() => parseOrThrow(ListDealsQuery, { limit })).map((i) => i.path)).toEqual(['limit']);
  });

  it('rejects unknown statuses and unknown query parameters', () => {
    expect(issuesOf(() => parseOrThrow(ListDealsQuery, { status: 'done' })).map((i) => i.path)).toEqual(['status']);
    expect(issuesOf(() => parseOrThrow(ListDealsQuery, { sort: 'name' }))).toEqual([{ path: 'sort', message: 'unknown field "sort"' }]);
  });
});

describe('DealResponse', () => {
  it('fits every domain deal and strips storage attributes', () => {
    // Prepare
    const stored = { ...aDeal(), pk: 'DEAL#deal-1', sk: 'META', gsi1pk: 'x' };
    // Act
    const wire = toDealResponse(stored);
    // Assess
    expect(wire).toEqual(aDeal());
    expect(DealResponse.safeParse(aDeal()).success).toBe(true);
  });
});
