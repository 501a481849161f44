import { assertBiddingChoicesAllowed, newBiddingChoices } from '../../../shared/domain/account/bidding-settings.js';
import type { Campaign } from '../../../shared/domain/campaign/campaign.js';
import type { BiddingSettingsRepository } from '../../../shared/ports/bidding-settings-repository.js';

/**
 * The seat and PMP deal ids a campaign version newly names (all of a new campaign's, the changed ones of
 * an amendment) must be allowed by its account's bidding settings: 400 naming each one otherwise. The
 * settings are read only when there is something to check.
 */
export async function assertAllowedByAccount(settings: BiddingSettingsRepository, next: Campaign, previous?: Campaign): Promise<void> {
  const choices = newBiddingChoices(next, previous);
  if (choices.seat === undefined && choices.pmpDealIds === undefined) return;
  assertBiddingChoicesAllowed(next.accountId, choices, await settings.getBiddingSettings(next.accountId));
}
