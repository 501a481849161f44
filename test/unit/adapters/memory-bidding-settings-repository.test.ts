import { describe, expect, it } from 'vitest';
import { InMemoryBiddingSettingsRepository } from '../../../shared/adapters/memory/memory-bidding-settings-repository.js';
import { describeBiddingSettingsRepositoryContract, firstSettings } from '../../integration/dynamodb/bidding-settings-repository.contract.js';

// The same contract the DynamoDB adapter passes against DynamoDB Local.
describeBiddingSettingsRepositoryContract('InMemoryBiddingSettingsRepository', () => new InMemoryBiddingSettingsRepository());

describe('InMemoryBiddingSettingsRepository specifics', () => {
  it('hands out copies', async () => {
    // Prepare
    const repo = new InMemoryBiddingSettingsRepository();
    const { settings, audit } = firstSettings();
    await repo.createBiddingSettings(settings, audit);
    // Act
    (await repo.getBiddingSettings(settings.accountId))!.allowedSeats.push('mutated');
    // Assess
    expect((await repo.getBiddingSettings(settings.accountId))!.allowedSeats).toEqual(['seat-a']);
  });
});
