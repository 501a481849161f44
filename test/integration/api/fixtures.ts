/** Request bodies and helpers shared by the API integration tests. */
import { randomUUID } from 'node:crypto';

export const uid = (): string => randomUUID().slice(0, 8);

/** A fresh account id: admins may write to any account, so tests that count items stay isolated. */
export const freshAccount = (): string => `acct-it-${uid()}`;

export function dealBody(accountId: string, overrides: Record<string, unknown> = {}) {
  return {
    accountId,
    name: `IT deal ${uid()}`,
    type: 'standard',
    totalValue: { amountMinor: 10_000_000, currency: 'USD' },
    startDate: '2027-01-01',
    endDate: '2027-06-30',
    ...overrides,
  };
}

export function campaignBody(overrides: Record<string, unknown> = {}) {
  return {
    name: `IT campaign ${uid()}`,
    type: 'display',
    budget: { amountMinor: 1_000_000, currency: 'USD' },
    dailyBudget: { amountMinor: 50_000, currency: 'USD' },
    targeting: { audienceSegments: ['sports'], geo: { countries: ['USA'] }, devices: ['desktop'] },
    schedule: { startDate: '2027-02-01', endDate: '2027-03-31', pacing: 'even' },
    creativeSpecs: [{ format: 'banner', width: 300, height: 250, mimeTypes: ['image/png'] }],
    bidStrategy: 'max_cpm',
    maxBid: { amountMinor: 1_200, currency: 'USD' },
    ...overrides,
  };
}

/** The payload of a JWT (no verification). */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
