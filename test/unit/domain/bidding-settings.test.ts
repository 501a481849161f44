import { describe, expect, it } from 'vitest';
import {
  ALLOWED_SEATS_MAX,
  assertBiddingChoicesAllowed,
  biddingSettingsAuditEntry,
  createBiddingSettings,
  newBiddingChoices,
  replaceBiddingSettings,
} from '../../../shared/domain/account/bidding-settings.js';
import { T1, aContext, issuesOf } from './fixtures.js';

const terms = { allowedSeats: ['seat-a'], allowedPmpDealIds: ['pmp-1', 'pmp-2'] };


describe('account bidding settings', () => {
  it('are created at version 1, stamped, as copies', () => {
    // Prepare
    const input = { allowedSeats: ['seat-a'], allowedPmpDealIds: ['pmp-1'] };
    // Act
    const settings = createBiddingSettings('acct-a', input, aContext());
    input.allowedSeats.push('mutated');
    // Assess
    expect(settings).toEqual({
      accountId: 'acct-a',
      allowedSeats: ['seat-a'],
      allowedPmpDealIds: ['pmp-1'],
      version: 1,
      createdAt: aContext().at,
      updatedAt: aContext().at,
      createdBy: 'user-ana',
      updatedBy: 'user-ana',
    });
  });

  it('refuses malformed, repeated and too many ids, naming each', () => {
    // Prepare
    const bad = { allowedSeats: ['ok', 'has space', 'ok', ...Array(ALLOWED_SEATS_MAX).fill('x')], allowedPmpDealIds: ['a~b'] };
    // Act
    const paths = issuesOf(() => createBiddingSettings('acct-a', bad, aContext())).map((i) => i.path);
    // Assess
    expect(paths.slice(0, 4)).toEqual(['allowedSeats', 'allowedSeats.1', 'allowedSeats.2', 'allowedSeats.4']);
    expect(paths).toContain('allowedPmpDealIds.0');
  });

  it('are replaced whole as the next version with field changes, and equal lists change nothing', () => {
    // Prepare
    const current = createBiddingSettings('acct-a', terms, aContext());
    const later = aContext({ at: T1, actor: { userId: 'user-op', groups: ['admin'], accountIds: [] } });
    // Act
    const replaced = replaceBiddingSettings(current, { allowedSeats: ['seat-a'], allowedPmpDealIds: ['pmp-2'] }, later);
    const same = replaceBiddingSettings(current, terms, later);
    // Assess
    expect(replaced?.next).toMatchObject({ version: 2, allowedPmpDealIds: ['pmp-2'], updatedAt: T1, updatedBy: 'user-op', createdBy: 'user-ana' });
    expect(replaced?.changes).toEqual([{ field: 'allowedPmpDealIds', old: ['pmp-1', 'pmp-2'], new: ['pmp-2'] }]);
    expect(same).toBeUndefined();
  });

  it('are audited per version with who, where and what', () => {
    // Prepare
    const settings = createBiddingSettings('acct-a', terms, aContext());
    // Act
    const entry = biddingSettingsAuditEntry(settings, 'biddingSettings.created', aContext());
    // Assess
    expect(entry).toMatchObject({
      id: 'biddingSettings#acct-a#v1',
      accountId: 'acct-a',
      entityType: 'biddingSettings',
      action: 'biddingSettings.created',
      version: 1,
      actor: { userId: 'user-ana', groups: ['deal_manager'] },
      correlationId: 'corr-1',
      changes: [
        { field: 'allowedSeats', old: null, new: ['seat-a'] },
        { field: 'allowedPmpDealIds', old: null, new: ['pmp-1', 'pmp-2'] },
      ],
    });
  });
});

describe("a campaign's seat and PMP deal ids against its account's settings", () => {
  it('checks everything a new campaign names, and only what an amendment changes', () => {
    expect(newBiddingChoices({ seat: 's', pmpDealIds: ['p'] })).toEqual({ seat: 's', pmpDealIds: ['p'] });
    expect(newBiddingChoices({ seat: 's', pmpDealIds: ['p'] }, { seat: 's', pmpDealIds: ['p'] })).toEqual({});
    expect(newBiddingChoices({ seat: 't', pmpDealIds: ['p', 'q'] }, { seat: 's', pmpDealIds: ['p'] })).toEqual({ seat: 't', pmpDealIds: ['p', 'q'] });
    expect(newBiddingChoices({}, { seat: 's', pmpDealIds: ['p'] })).toEqual({});
    expect(newBiddingChoices({ pmpDealIds: [] })).toEqual({});
  });

  it('refuses a PMP deal id the account does not hold, naming its index and the account', () => {
    // Act
    const issues = issuesOf(() => assertBiddingChoicesAllowed('acct-a', { pmpDealIds: ['pmp-1', 'deal-x'] }, terms));
    // Assess
    expect(issues).toEqual([{ path: 'pmpDealIds.1', message: "deal-x is not one of account acct-a's allowed PMP deal ids" }]);
  });

  it('refuses any seat and PMP deal id of an account without settings, and allows the house seat and open auction', () => {
    // Act
    const issues = issuesOf(() => assertBiddingChoicesAllowed('acct-a', { seat: 'seat-a', pmpDealIds: ['pmp-1'] }, undefined));
    // Assess
    expect(issues.map((i) => i.path)).toEqual(['seat', 'pmpDealIds.0']);
    expect(issues[0]!.message).toBe("seat-a is not one of account acct-a's allowed buyer seats");
    expect(() => assertBiddingChoicesAllowed('acct-a', {}, undefined)).not.toThrow();
    expect(() => assertBiddingChoicesAllowed('acct-a', { seat: 'seat-a', pmpDealIds: ['pmp-2'] }, terms)).not.toThrow();
  });
});
