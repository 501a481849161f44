import { describe, expect, it } from 'vitest';
import { campaignAuditEntry } from '../../../shared/domain/audit-entry.js';
import { amendCampaign } from '../../../shared/domain/campaign/amend.js';
import { createCampaign } from '../../../shared/domain/campaign/create.js';
import type { CreativeSpec } from '../../../shared/domain/campaign/campaign.js';
import {
  AUDIENCE_SEGMENTS_MAX,
  AUDIENCE_SEGMENT_MAX_LENGTH,
  COUNTRIES_MAX,
  CREATIVES_TOTAL_MAX_BYTES,
  CREATIVE_SPECS_MAX,
  SPEC_MIME_TYPES_MAX,
} from '../../../shared/domain/campaign/rules.js';
import { largestBiddingChoices, largestCampaign } from '../../support/largest-campaign.js';
import { aCampaignInput, aContext, aDeal, issuesOf } from './fixtures.js';

/** DynamoDB's item size limit. */
const ITEM_LIMIT_BYTES = 400 * 1024;
const deal = aDeal({ totalValue: { amountMinor: 10_000_000, currency: 'USD' }, startDate: '2026-03-01', endDate: '2026-05-31' });
const flight = { startDate: '2026-03-01', endDate: '2026-03-31' };


const create = (overrides: Parameters<typeof aCampaignInput>[0]) =>
  createCampaign(deal, [], aCampaignInput(overrides), aContext(), { campaignId: 'camp-1' });

const codes = (n: number) => Array.from({ length: n }, (_, i) => `Q${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + (i % 26))}`);
const banner = (mimeTypes: string[], width = 300): CreativeSpec => ({ format: 'banner', width, height: 250, mimeTypes });

describe('campaign lists are bounded, and the 400 names the list and the bound', () => {
  it.each([
    ['audience segments', { targeting: { audienceSegments: Array(AUDIENCE_SEGMENTS_MAX + 1).fill('s'), geo: { countries: [] }, devices: [] } }, 'targeting.audienceSegments', `must have at most ${AUDIENCE_SEGMENTS_MAX} items`],
    ['countries', { targeting: { audienceSegments: [], geo: { countries: codes(COUNTRIES_MAX + 1) }, devices: [] } }, 'targeting.geo.countries', `must have at most ${COUNTRIES_MAX} items`],
    ['creative specs', { creativeSpecs: Array.from({ length: CREATIVE_SPECS_MAX + 1 }, (_, i) => banner([], 100 + i)) }, 'creativeSpecs', `must have at most ${CREATIVE_SPECS_MAX} items`],
    ['MIME types of a spec', { creativeSpecs: [banner(Array.from({ length: SPEC_MIME_TYPES_MAX + 1 }, (_, i) => `image/t${i}`))] }, 'creativeSpecs.0.mimeTypes', `must have at most ${SPEC_MIME_TYPES_MAX} items`],
  ])('refuses one item too many: %s', (_, overrides, path, message) => {
    expect(issuesOf(() => create(overrides as Parameters<typeof aCampaignInput>[0]))).toEqual([{ path, message }]);
  });

  it('accepts every list at its maximum', () => {
    // Prepare
    const overrides = {
      targeting: { audienceSegments: Array(AUDIENCE_SEGMENTS_MAX).fill('s'.repeat(AUDIENCE_SEGMENT_MAX_LENGTH)), geo: { countries: codes(COUNTRIES_MAX) }, devices: [] },
      creativeSpecs: Array.from({ length: CREATIVE_SPECS_MAX }, (_, i) => banner(Array(SPEC_MIME_TYPES_MAX).fill('image/png'), 100 + i)),
    };
    // Act / Assess
    expect(create(overrides).targeting.audienceSegments).toHaveLength(AUDIENCE_SEGMENTS_MAX);
  });

  it('bounds each audience segment and each spec MIME type, and refuses repeated countries and devices', () => {
    // Prepare
    const overrides = {
      targeting: { audienceSegments: ['s'.repeat(AUDIENCE_SEGMENT_MAX_LENGTH + 1), '  '], geo: { countries: ['USA', 'USA'] }, devices: ['ctv' as const, 'ctv' as const] },
      creativeSpecs: [banner(['image/png', 'png', `image/${'x'.repeat(122)}`]), { ...banner([]), width: 10_001 }],
    };
    // Act
    const issues = issuesOf(() => create(overrides));
    // Assess
    expect(issues.map((i) => i.path)).toEqual([
      'targeting.audienceSegments.0',
      'targeting.audienceSegments.1',
      'targeting.geo.countries.1',
      'targeting.devices.1',
      'creativeSpecs.0.mimeTypes.1',
      'creativeSpecs.0.mimeTypes.2',
      'creativeSpecs.1.width',
    ]);
  });

  it('counts every creative field, not only the markup, in the creatives total', () => {
    // Prepare: markup alone totals under the limit, the other fields push the creatives over it
    const spec = banner([]);
    const creative = (i: number) => ({
      id: `cr-${i}`,
      format: 'banner' as const,
      w: 300,
      h: 250,
      adm: 'm'.repeat(Math.floor(CREATIVES_TOTAL_MAX_BYTES / 20) - 200),
      adomain: Array.from({ length: 10 }, (_, j) => `brand-${j}.example`),
      cat: [],
    });
    // Act
    const issues = issuesOf(() => create({ creativeSpecs: [spec], creatives: Array.from({ length: 20 }, (_, i) => creative(i)) }));
    // Assess
    expect(issues).toEqual([{ path: 'creatives', message: expect.stringMatching(new RegExp(`^must total at most ${CREATIVES_TOTAL_MAX_BYTES} bytes as JSON`)) }]);
  });
});

describe('the largest campaign fits DynamoDB with its history', () => {
  it('is accepted, and its item and the audit entry of changing every field stay under 400 KB', () => {
    // Prepare
    const first = largestCampaign('a', { ...flight, ...largestBiddingChoices('a') });
    const second = largestCampaign('b', { ...flight, ...largestBiddingChoices('b') });
    // Act
    const campaign = createCampaign(deal, [], first, aContext(), { campaignId: 'camp-1' });
    const { next, changes } = amendCampaign(deal, [campaign], campaign, { ...second, status: 'active' }, aContext());
    const audit = campaignAuditEntry(next, 'campaign.amended', aContext(), changes);
    // Assess: JSON size is an upper bound of DynamoDB's item size for these values; keys add < 1 KB
    const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
    expect(changes.map((c) => c.field)).toEqual(expect.arrayContaining(['name', 'creatives', 'creativeSpecs', 'pmpDealIds', 'seat', 'status']));
    expect(bytes(next)).toBeLessThan(ITEM_LIMIT_BYTES / 2);
    expect(bytes(audit) + 1024).toBeLessThan(ITEM_LIMIT_BYTES);
  });
});
