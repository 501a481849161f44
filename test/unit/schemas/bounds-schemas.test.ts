import { describe, expect, it } from 'vitest';
import { AmendCampaignRequest, CreateCampaignRequest } from '../../../shared/schemas/campaign.js';
import { PageQuery } from '../../../shared/schemas/common.js';
import { ListDealsQuery } from '../../../shared/schemas/deal.js';
import { buildOpenApiDocument } from '../../../shared/schemas/openapi.js';
import { parseOrThrow } from '../../../shared/schemas/parse.js';
import { largestBiddingChoices, largestCampaign } from '../../support/largest-campaign.js';
import { aCampaignInput, issuesOf } from '../domain/fixtures.js';


const flight = { startDate: '2026-03-01', endDate: '2026-03-31' };

describe('request schemas bound every list and string', () => {
  it('name each list over its bound, with the bound', () => {
    // Prepare
    const body = {
      ...aCampaignInput(),
      targeting: { audienceSegments: Array(101).fill('s'), geo: { countries: Array(251).fill('USA') }, devices: Array(5).fill('ctv') },
      creativeSpecs: [{ format: 'banner', width: 300, height: 250, mimeTypes: Array(6).fill('image/png') }],
    };
    // Act
    const issues = issuesOf(() => parseOrThrow(CreateCampaignRequest, body));
    // Assess
    expect(issues).toEqual([
      { path: 'targeting.audienceSegments', message: 'must have at most 100 items' },
      { path: 'targeting.geo.countries', message: 'must have at most 250 items' },
      { path: 'targeting.devices', message: 'must have at most 4 items' },
      { path: 'creativeSpecs.0.mimeTypes', message: 'must have at most 5 items' },
    ]);
  });

  it('bound the strings inside the lists, on amendments too', () => {
    // Prepare
    const patch = {
      targeting: { audienceSegments: ['s'.repeat(65), ' '], geo: { countries: [] }, devices: [] },
      creativeSpecs: [{ format: 'banner', width: 300, height: 10_001, mimeTypes: ['not a mime'] }],
    };
    const tooMany = { creativeSpecs: Array.from({ length: 21 }, () => ({ format: 'banner', width: 300, height: 250, mimeTypes: [] })) };
    // Act
    const paths = issuesOf(() => parseOrThrow(AmendCampaignRequest, patch)).map((i) => i.path);
    const specs = issuesOf(() => parseOrThrow(AmendCampaignRequest, tooMany));
    // Assess
    expect(paths).toEqual(['targeting.audienceSegments.0', 'targeting.audienceSegments.1', 'creativeSpecs.0.height', 'creativeSpecs.0.mimeTypes.0']);
    expect(specs).toEqual([{ path: 'creativeSpecs', message: 'must have at most 20 items' }]);
  });

  it('bound the paging cursor', () => {
    expect(issuesOf(() => parseOrThrow(PageQuery, { cursor: 'c'.repeat(2049) })).map((i) => i.path)).toEqual(['cursor']);
    expect(issuesOf(() => parseOrThrow(ListDealsQuery, { cursor: 'c'.repeat(2049) })).map((i) => i.path)).toEqual(['cursor']);
  });

  it('accept the largest campaign', () => {
    const body = largestCampaign('a', { ...flight, ...largestBiddingChoices('a') });
    expect(parseOrThrow(CreateCampaignRequest, body)).toEqual(body);
  });

  it('show the bounds in the OpenAPI document, money maxima per currency exponent included', () => {
    // Prepare
    const schemas = (buildOpenApiDocument() as { components: { schemas: Record<string, any> } }).components.schemas;
    const targeting = schemas.Targeting;
    // Assess
    expect(targeting.properties.audienceSegments.maxItems).toBe(100);
    expect(targeting.properties.audienceSegments.items.maxLength).toBe(64);
    expect(schemas.CreativeSpec.properties.mimeTypes.maxItems).toBe(5);
    expect(JSON.stringify(schemas.CreateCampaignRequest)).toContain('9007199 (0-decimal currencies such as JPY)');
  });
});
