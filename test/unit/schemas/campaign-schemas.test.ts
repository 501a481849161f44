import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import { AuditEntryResponse } from '../../../shared/schemas/audit.js';
import { AmendCampaignRequest, CampaignResponse, CreateCampaignRequest, toCampaignResponse } from '../../../shared/schemas/campaign.js';
import { ErrorResponse } from '../../../shared/schemas/errors.js';
import { buildOpenApiDocument } from '../../../shared/schemas/openapi.js';
import { parseOrThrow } from '../../../shared/schemas/parse.js';
import { dealAuditEntry } from '../../../shared/domain/audit-entry.js';
import { aCampaign, aCampaignInput, aContext, aDeal } from '../domain/fixtures.js';

function pathsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues.map((i) => i.path);
  }
  throw new Error('expected a ValidationError');
}

describe('CreateCampaignRequest', () => {
  it('accepts the full campaign body', () => {
    const body = aCampaignInput({ frequencyCap: { impressions: 3, periodHours: 24 } });
    expect(parseOrThrow(CreateCampaignRequest, body)).toEqual(body);
  });

  it('names the array index of a bad creative and an unknown nested key', () => {
    // Prepare
    const body = {
      ...aCampaignInput(),
      creativeSpecs: [
        { format: 'banner', width: 300, height: 250, mimeTypes: [] },
        { format: 'banner', width: -1, height: 250, mimeTypes: [], colour: 'red' },
      ],
    };
    // Act
    const paths = pathsOf(() => parseOrThrow(CreateCampaignRequest, body));
    // Assess
    expect(paths.sort()).toEqual(['creativeSpecs.1.colour', 'creativeSpecs.1.width']);
  });

  it('checks enums and country codes', () => {
    const body = {
      ...aCampaignInput(),
      bidStrategy: 'cheapest',
      targeting: { audienceSegments: [], geo: { countries: ['us'] }, devices: ['fridge'] },
    };
    expect(pathsOf(() => parseOrThrow(CreateCampaignRequest, body)).sort()).toEqual([
      'bidStrategy',
      'targeting.devices.0',
      'targeting.geo.countries.0',
    ]);
  });
});

describe('AmendCampaignRequest', () => {
  it('accepts status alone and null to remove the frequency cap', () => {
    expect(parseOrThrow(AmendCampaignRequest, { status: 'active' })).toEqual({ status: 'active' });
    expect(parseOrThrow(AmendCampaignRequest, { frequencyCap: null })).toEqual({ frequencyCap: null });
  });

  it('rejects empty patches, unknown fields and unknown statuses', () => {
    expect(pathsOf(() => parseOrThrow(AmendCampaignRequest, {}))).toEqual(['']);
    expect(pathsOf(() => parseOrThrow(AmendCampaignRequest, { dealId: 'x' }))).toEqual(['dealId']);
    expect(pathsOf(() => parseOrThrow(AmendCampaignRequest, { status: 'deleted' }))).toEqual(['status']);
  });
});

describe('response schemas', () => {
  it('CampaignResponse fits a domain campaign and strips extra attributes', () => {
    const campaign = aCampaign(aDeal(), {}, { frequencyCap: { impressions: 1, periodHours: 1 } });
    expect(toCampaignResponse({ ...campaign, pk: 'x' } as typeof campaign)).toEqual(campaign);
    expect(CampaignResponse.safeParse(campaign).success).toBe(true);
  });

  it('AuditEntryResponse fits a domain audit entry', () => {
    expect(AuditEntryResponse.safeParse(dealAuditEntry(aDeal(), 'deal.created', aContext())).success).toBe(true);
  });

  it('ErrorResponse carries code, message and details', () => {
    const body = { error: { code: 'version_conflict', message: 'stale', currentVersion: 3 } };
    expect(ErrorResponse.parse(body)).toEqual(body);
    expect(ErrorResponse.safeParse({ error: { code: 'teapot', message: 'x' } }).success).toBe(false);
  });
});

describe('CampaignResponse: bidder fields (optional)', () => {
  it('carries creatives, pmpDealIds and seat when the campaign has them, and stays valid without', () => {
    const deal = aDeal();
    const plain = aCampaign(deal);
    expect(toCampaignResponse(plain)).not.toHaveProperty('creatives');
    const withBidder = {
      ...plain,
      creatives: [{ id: 'cr1', format: 'banner' as const, w: 300, h: 250, adm: '<img>', adomain: ['a.example'], cat: ['IAB1'] }],
      pmpDealIds: ['pmp-1'],
      seat: 'seat-9',
    };
    expect(toCampaignResponse(withBidder)).toMatchObject({ creatives: withBidder.creatives, pmpDealIds: ['pmp-1'], seat: 'seat-9' });
  });

  it('refuses a creative with a non-positive size or an unknown key', () => {
    const deal = aDeal();
    const bad = { ...aCampaign(deal), creatives: [{ id: 'cr1', format: 'banner', w: 0, h: 250, adm: '<img>', adomain: [], cat: [], colour: 'red' }] };
    expect(CampaignResponse.safeParse(bad).success).toBe(false);
  });
});

describe('campaign request schemas: bidder fields', () => {
  const creative = { id: 'cr-1', format: 'banner', w: 300, h: 250, adm: '<img>', adomain: ['brand.example'], cat: ['IAB3-1'] };

  it('CreateCampaignRequest accepts creatives, pmpDealIds and seat', () => {
    // Prepare
    const body = { ...aCampaignInput(), creatives: [{ ...creative, mimes: ['image/png'] }], pmpDealIds: ['pmp-1'], seat: 'seat-9' };
    // Act
    const parsed = parseOrThrow(CreateCampaignRequest, body);
    // Assess
    expect(parsed).toEqual(body);
  });

  it('CreateCampaignRequest names the path of each bad creative field and an unknown key inside a creative', () => {
    // Prepare
    const body = {
      ...aCampaignInput(),
      creatives: [
        { ...creative, w: 0, adomain: ['not a domain'], cat: ['Sports'], colour: 'red' },
        { ...creative, id: 'cr-2', adm: '', h: 20_000 },
      ],
      pmpDealIds: [''],
      seat: '',
    };
    // Act
    const paths = pathsOf(() => parseOrThrow(CreateCampaignRequest, body));
    // Assess
    expect(paths.sort()).toEqual([
      'creatives.0.adomain.0',
      'creatives.0.cat.0',
      'creatives.0.colour',
      'creatives.0.w',
      'creatives.1.adm',
      'creatives.1.h',
      'pmpDealIds.0',
      'seat',
    ]);
  });

  it('AmendCampaignRequest accepts the bidder fields alone and null to remove them', () => {
    expect(parseOrThrow(AmendCampaignRequest, { creatives: [creative] })).toEqual({ creatives: [creative] });
    expect(parseOrThrow(AmendCampaignRequest, { creatives: null, pmpDealIds: null, seat: null })).toEqual({
      creatives: null,
      pmpDealIds: null,
      seat: null,
    });
    expect(pathsOf(() => parseOrThrow(AmendCampaignRequest, { creatives: [{ ...creative, adomain: [] }] }))).toEqual(['creatives.0.adomain']);
  });

  it('the OpenAPI document shows the fields on both requests and the response', () => {
    // Act
    const schemas = (buildOpenApiDocument() as { components: { schemas: Record<string, any> } }).components.schemas;
    // Assess
    for (const name of ['CreateCampaignRequest', 'AmendCampaignRequest', 'Campaign']) {
      expect(Object.keys(schemas[name].properties), name).toEqual(expect.arrayContaining(['creatives', 'pmpDealIds', 'seat']));
    }
    expect(schemas.CreateCampaignRequest.required).not.toContain('creatives');
    expect(schemas.CreateCampaignRequest.properties.creatives.items).toEqual({ $ref: '#/components/schemas/CampaignCreative' });
    expect(schemas.CampaignCreative).toMatchObject({
      additionalProperties: false,
      required: ['id', 'format', 'w', 'h', 'adm', 'adomain', 'cat'],
      properties: { w: { type: 'integer', exclusiveMinimum: 0 }, adomain: { minItems: 1 } },
    });
    expect(schemas.CampaignCreative.properties.cat.items.pattern).toContain('IAB');
  });
});
