import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { tableByPrefix } from '../../../local/bidding/seed.js';
import { localClientConfig } from '../../../local/dynamodb/launch.js';
import { createDocumentClient } from '../../../shared/adapters/dynamodb/client.js';
import { CREATIVES_TOTAL_MAX_BYTES } from '../../../shared/domain/campaign/rules.js';
import { largestBiddingChoices, largestCampaign } from '../../support/largest-campaign.js';
import { useLocalStack } from '../../support/local-stack.js';
import { campaignBody, dealBody, freshAccount } from './fixtures.js';

const stack = useLocalStack();
const flight = { startDate: '2027-02-01', endDate: '2027-03-31' };

describe('the largest change the API accepts fits DynamoDB', () => {
  it('creates a campaign at every maximum and amends every field of it: 2xx, and the audit holds old and new', async () => {
    // Prepare: a fresh account that holds both variants' seats and PMP deal ids
    const admin = stack.d.tokens.admin;
    const account = freshAccount();
    const [a, b] = [largestBiddingChoices('a'), largestBiddingChoices('b')];
    const settings = await stack.api('PUT', `/accounts/${account}/bidding-settings`, {
      token: admin,
      body: { allowedSeats: [a.seat, b.seat], allowedPmpDealIds: [...a.pmpDealIds, ...b.pmpDealIds] },
    });
    const deal = await stack.api('POST', '/deals', { token: admin, body: dealBody(account) });
    const first = largestCampaign('a', { ...flight, ...a });
    const second = largestCampaign('b', { ...flight, ...b });
    // Act
    const created = await stack.api('POST', `/deals/${deal.body.id}/campaigns`, { token: admin, body: first });
    const path = `/deals/${deal.body.id}/campaigns/${created.body.id}`;
    const amended = await stack.api('PATCH', path, { token: admin, ifMatch: 1, body: { ...second, status: 'active' } });
    const audit = await stack.api('GET', `/deals/${deal.body.id}/audit`, { token: admin });
    // Assess
    expect(settings.status).toBe(201);
    expect(created.status, created.text.slice(0, 300)).toBe(201);
    expect(amended.status, amended.text.slice(0, 300)).toBe(200);
    expect(amended.body).toMatchObject({ version: 2, status: 'active', name: second.name, seat: b.seat });
    const change = audit.body.items.find((e: { action: string }) => e.action === 'campaign.amended');
    expect(change.changes.find((c: { field: string }) => c.field === 'creatives')).toEqual({ field: 'creatives', old: first.creatives, new: second.creatives });
    expect(change.changes.map((c: { field: string }) => c.field)).toEqual(
      expect.arrayContaining(['name', 'budget', 'targeting.audienceSegments', 'targeting.geo.countries', 'creativeSpecs', 'creatives', 'pmpDealIds', 'seat', 'status']),
    );
  });

  it('DynamoDB Local enforces the 400 KB item limit, so the 2xx above is a real fit', async () => {
    // Prepare
    const doc = createDocumentClient(localClientConfig(stack.d.dynamodbEndpoint));
    const history = tableByPrefix(stack.d.tables, 'History');
    // Act
    const oversized = doc.send(new PutCommand({ TableName: history, Item: { pk: `PROBE#${freshAccount()}`, sk: 'PROBE', blob: 'x'.repeat(410 * 1024) } }));
    // Assess
    await expect(oversized).rejects.toMatchObject({ name: 'ValidationException' });
    doc.destroy();
  });

  it('answers 413 for a body over 256 KiB and 400 naming creatives when they total too much', async () => {
    // Prepare: the largest creatives plus 100 bytes of markup each (their markup alone stays far below 128 KiB)
    const admin = stack.d.tokens.admin;
    const deal = await stack.api('POST', '/deals', { token: admin, body: dealBody(freshAccount()) });
    const { creatives, creativeSpecs } = largestCampaign('a', { ...flight, seat: 's', pmpDealIds: [] });
    const tooMany = campaignBody({ creativeSpecs, creatives: creatives!.map((c) => ({ ...c, adm: `${c.adm}${'m'.repeat(100)}` })) });
    const huge = campaignBody({ name: 'x'.repeat(300 * 1024) });
    // Act
    const total = await stack.api('POST', `/deals/${deal.body.id}/campaigns`, { token: admin, body: tooMany });
    const tooLarge = await stack.api('POST', `/deals/${deal.body.id}/campaigns`, { token: admin, body: huge });
    // Assess
    expect(total.status).toBe(400);
    expect(total.body.error.issues).toEqual([{ path: 'creatives', message: expect.stringContaining(`must total at most ${CREATIVES_TOTAL_MAX_BYTES} bytes`) }]);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe('payload_too_large');
  });
});
