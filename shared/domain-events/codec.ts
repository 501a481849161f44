/**
 * Domain events on the wire: JSON, one event per message. Decoding checks the envelope (schema version,
 * ids, type, the entity it names) so a consumer never acts on something it cannot read; it does not
 * re-validate the entity snapshot, which the change processor read from a committed item.
 */
import { CAMPAIGN_EVENT_TYPES, DEAL_EVENT_TYPES, DOMAIN_EVENT_SCHEMA_VERSION, type DomainEvent } from './types.js';

export class DomainEventDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DomainEventDecodeError';
  }
}

export function encodeDomainEvent(event: DomainEvent): string {
  return JSON.stringify(event);
}

const STRING_FIELDS = ['eventId', 'dealId', 'accountId', 'entityId', 'actor', 'at'] as const;

export function decodeDomainEvent(body: string): DomainEvent {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new DomainEventDecodeError(`not JSON: ${body.slice(0, 80)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DomainEventDecodeError('not a JSON object');
  const event = value as Record<string, unknown>;
  if (event.schemaVersion !== DOMAIN_EVENT_SCHEMA_VERSION) {
    throw new DomainEventDecodeError(`unknown schemaVersion ${JSON.stringify(event.schemaVersion)} (this consumer reads ${DOMAIN_EVENT_SCHEMA_VERSION})`);
  }
  for (const field of STRING_FIELDS) {
    if (typeof event[field] !== 'string' || event[field] === '') throw new DomainEventDecodeError(`${field} must be a non-empty string`);
  }
  if (!Number.isInteger(event.version) || (event.version as number) < 1) throw new DomainEventDecodeError('version must be a positive integer');
  if (!Array.isArray(event.changedFields) || !Array.isArray(event.changes)) throw new DomainEventDecodeError('changedFields and changes must be arrays');
  const type = event.type;
  if (event.entity === 'deal') {
    if (!(DEAL_EVENT_TYPES as readonly unknown[]).includes(type)) throw new DomainEventDecodeError(`unknown deal event type ${JSON.stringify(type)}`);
    if (typeof event.deal !== 'object' || event.deal === null) throw new DomainEventDecodeError('deal event without its deal');
  } else if (event.entity === 'campaign') {
    if (!(CAMPAIGN_EVENT_TYPES as readonly unknown[]).includes(type)) throw new DomainEventDecodeError(`unknown campaign event type ${JSON.stringify(type)}`);
    if (typeof event.campaign !== 'object' || event.campaign === null) throw new DomainEventDecodeError('campaign event without its campaign');
  } else {
    throw new DomainEventDecodeError(`unknown entity ${JSON.stringify(event.entity)}`);
  }
  return event as unknown as DomainEvent;
}

/**
 * Message attributes published with every event: subscription filter policies select on them
 * (e.g. the approval workflow takes only `deal.submitted`).
 */
export function routingAttributesOf(event: DomainEvent): { type: string; entity: string; accountId: string } {
  return { type: event.type, entity: event.entity, accountId: event.accountId };
}
