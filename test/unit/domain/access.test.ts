import { describe, expect, it } from 'vitest';
import {
  ACCESS_ACTIONS,
  ACTION_GROUPS,
  assertCanSeeCampaign,
  assertCanSeeDeal,
  assertMayAct,
  assertMemberOfAccount,
  canSeeAccount,
  mayAct,
  resolveListAccount,
  type AccessAction,
} from '../../../shared/domain/access.js';
import { GROUPS, type Group } from '../../../shared/domain/actor.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../../shared/domain/errors.js';
import { aCampaign, aDeal, anActor, thrownBy } from './fixtures.js';

const as = (...groups: Group[]) => anActor({ groups });

describe('who may act', () => {
  const expected: Record<AccessAction, Group[]> = {
    'deal.read': ['deal_manager', 'campaign_manager', 'sales_manager', 'finance', 'legal', 'admin'],
    'campaign.read': ['deal_manager', 'campaign_manager', 'sales_manager', 'finance', 'legal', 'admin'],
    'deal.create': ['deal_manager', 'admin'],
    'deal.amend': ['deal_manager', 'admin'],
    'deal.cancel': ['deal_manager', 'admin'],
    'deal.submit': ['deal_manager', 'admin'],
    'campaign.create': ['campaign_manager', 'deal_manager', 'admin'],
    'campaign.amend': ['campaign_manager', 'deal_manager', 'admin'],
    'biddingSettings.read': ['deal_manager', 'campaign_manager', 'sales_manager', 'finance', 'legal', 'admin'],
    // The platform operator only: no group of an account may grant itself seats or PMP deals.
    'biddingSettings.replace': ['admin'],
  };

  const cases = ACCESS_ACTIONS.flatMap((action) => GROUPS.map((group) => [action, group] as const));
  it.each(cases)('%s by %s follows the design table', (action, group) => {
    expect(mayAct(as(group), action)).toBe(expected[action].includes(group));
  });

  it('refuses with a 403 naming the groups that would be allowed', () => {
    // Act
    const error = thrownBy(() => assertMayAct(as('campaign_manager', 'finance'), 'deal.submit'));
    // Assess
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as Error).message).toContain('deal_manager');
    expect((error as Error).message).toContain('deal.submit');
  });

  it('names admin once when only admin may act', () => {
    // Act
    const error = thrownBy(() => assertMayAct(as('deal_manager', 'campaign_manager'), 'biddingSettings.replace'));
    // Assess
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as Error).message).toBe('biddingSettings.replace requires one of the groups admin');
  });

  it('lets a token without any group do nothing, not even read', () => {
    expect(() => assertMayAct(as(), 'deal.read')).toThrow(ForbiddenError);
  });

  it('lets admin do everything', () => {
    for (const action of ACCESS_ACTIONS) expect(() => assertMayAct(as('admin'), action)).not.toThrow();
  });

  it('reads are open to any group, writes are listed', () => {
    expect(ACTION_GROUPS['deal.read']).toBe('any');
    expect(ACTION_GROUPS['campaign.amend']).toEqual(['campaign_manager', 'deal_manager']);
  });
});

describe('who may see what', () => {
  it('members see their accounts; admins see all', () => {
    expect(canSeeAccount(anActor({ accountIds: ['a', 'b'] }), 'b')).toBe(true);
    expect(canSeeAccount(anActor({ accountIds: ['a'] }), 'b')).toBe(false);
    expect(canSeeAccount(anActor({ accountIds: [], groups: ['admin'] }), 'b')).toBe(true);
  });

  it("answers another account's deal as not found, never as forbidden", () => {
    // Prepare
    const deal = aDeal({ id: 'deal-x', accountId: 'acct-other' });
    // Act
    const error = thrownBy(() => assertCanSeeDeal(anActor(), deal));
    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ entity: 'deal', id: 'deal-x' });
  });

  it('shows a deal to its account members and to admins', () => {
    const deal = aDeal({ accountId: 'acct-other' });
    expect(() => assertCanSeeDeal(anActor({ accountIds: ['acct-other'] }), deal)).not.toThrow();
    expect(() => assertCanSeeDeal(anActor({ accountIds: [], groups: ['admin'] }), deal)).not.toThrow();
  });

  it('hides campaigns of other accounts the same way', () => {
    const campaign = aCampaign(aDeal({ accountId: 'acct-other' }));
    expect(() => assertCanSeeCampaign(anActor(), campaign)).toThrow(NotFoundError);
  });

  it('refuses creating in an account the caller is not a member of, naming it', () => {
    expect(() => assertMemberOfAccount(anActor(), 'acct-other')).toThrow(new ForbiddenError('not a member of account acct-other'));
    expect(() => assertMemberOfAccount(anActor(), 'acct-demo')).not.toThrow();
  });
});

describe('resolveListAccount', () => {
  it("defaults to the caller's only account", () => {
    expect(resolveListAccount(anActor({ accountIds: ['acct-demo'] }))).toBe('acct-demo');
  });

  it('returns the requested account when the caller may see it', () => {
    expect(resolveListAccount(anActor({ accountIds: ['a', 'b'] }), 'b')).toBe('b');
    expect(resolveListAccount(anActor({ accountIds: [], groups: ['admin'] }), 'z')).toBe('z');
  });

  it('asks for accountId when the caller has several accounts', () => {
    const error = thrownBy(() => resolveListAccount(anActor({ accountIds: ['a', 'b'] })));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]!.path).toBe('accountId');
  });

  it('asks an admin for accountId (admins see every account)', () => {
    expect(() => resolveListAccount(anActor({ accountIds: ['a'], groups: ['admin'] }))).toThrow(ValidationError);
  });

  it("refuses another account's list with a 403 naming the account", () => {
    expect(() => resolveListAccount(anActor({ accountIds: ['a'] }), 'b')).toThrow(new ForbiddenError('not a member of account b'));
  });

  it('refuses a caller without accounts', () => {
    expect(() => resolveListAccount(anActor({ accountIds: [] }))).toThrow(ForbiddenError);
  });
});
