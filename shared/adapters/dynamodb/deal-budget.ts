/**
 * The deal's budget item (docs/data-model.md, "Budget sum"): what the deal's campaigns together budget,
 * kept beside the deal so that every write that changes the sum carries an Update of it, with a
 * condition on its current value, in the same TransactWriteItems. Concurrent writers then cannot
 * together push the campaigns past the deal's total value: each condition is evaluated on the value the
 * others committed.
 *
 * DynamoDB conditions compare but cannot add, so the item keeps the headroom itself
 * (`availableMinor = totalValueMinor - allocatedMinor`) and a write needing `n` conditions on
 * `availableMinor >= n`. The deal item is not touched: creating a campaign leaves the deal's version
 * (its ETag) alone.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Deal } from '../../domain/deal/deal.js';
import { BudgetExceededError, NotFoundError } from '../../domain/errors.js';
import type { Money } from '../../domain/money.js';
import { type DealBudget, type Item, dealBudgetFromItem, dealBudgetToItem } from './items.js';
import { CAMPAIGN_SK_PREFIX, DEAL_BUDGET_SK, DEAL_SK, dealPk } from './keys.js';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Why a budget condition failed: an error to throw, or worth running the same transaction again. */
export interface Refusal {
  error: Error;
  retry: boolean;
}

const NAMES = { '#currency': 'currency' };

export class DealBudgets {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Created with the deal: nothing allocated yet. */
  put(deal: Deal): TransactItem {
    return {
      Put: {
        TableName: this.table,
        Item: dealBudgetToItem(budgetOf(deal, 0)),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /**
   * A campaign's budget joins the sum or changes by `change` (negative: it shrinks). Refused unless the
   * currency is the deal's and, for an increase, that much is still available. A missing item (a deal
   * from before budget items) fails the condition too; see `refusal`.
   */
  allocate(dealId: string, change: Money): TransactItem {
    const increase = change.amountMinor > 0;
    return {
      Update: {
        TableName: this.table,
        Key: { pk: dealPk(dealId), sk: DEAL_BUDGET_SK },
        UpdateExpression: 'SET allocatedMinor = allocatedMinor + :change, availableMinor = availableMinor - :change',
        ConditionExpression: increase ? '#currency = :currency AND availableMinor >= :change' : '#currency = :currency',
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: { ':change': change.amountMinor, ':currency': change.currency },
      },
    };
  }

  /**
   * Every deal save mirrors the deal's total value here. Refused when the total is cut below what the
   * campaigns hold, or the currency changes while they hold anything. A total that does not go down
   * always passes, so a save that leaves the total alone (a rename, a status change) is never refused.
   */
  retotal(deal: Deal): TransactItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: dealPk(deal.id), sk: DEAL_BUDGET_SK },
        UpdateExpression: 'SET totalValueMinor = :total, availableMinor = :total - allocatedMinor, #currency = :currency',
        ConditionExpression:
          '(totalValueMinor <= :total OR allocatedMinor <= :total) AND (#currency = :currency OR allocatedMinor = :nothing)',
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: { ':total': deal.totalValue.amountMinor, ':currency': deal.totalValue.currency, ':nothing': 0 },
      },
    };
  }

  /**
   * The budget condition of a write needing `required` failed: re-read the item. Room now (a concurrent
   * change left some, or DynamoDB Local reported contention as a failed condition) → run the write again;
   * still none → BudgetExceededError with the values read. No item: a deal from before budget items gets
   * one now, then the write runs again; no deal → NotFoundError.
   */
  async refusal(dealId: string, required: (budget: DealBudget) => Money): Promise<Refusal> {
    const item = await this.get(dealId);
    if (!item) {
      const created = await this.initialize(dealId);
      return created
        ? { retry: true, error: new Error(`deal ${dealId}: its budget item was created but the write kept failing`) }
        : { retry: false, error: new NotFoundError('deal', dealId) };
    }
    const budget = dealBudgetFromItem(item);
    const need = required(budget);
    const error = new BudgetExceededError(
      dealId,
      { amountMinor: budget.totalValueMinor, currency: budget.currency },
      { amountMinor: budget.allocatedMinor, currency: budget.currency },
      need,
    );
    return { error, retry: need.currency === budget.currency && budget.availableMinor >= need.amountMinor };
  }

  /**
   * The budget item of a deal created before budget items existed: the sum of its campaigns' budgets.
   * Exact, because no write can change that sum while the item is missing (each one's condition needs
   * the item); of two initialisers, the second one's put is refused and harmless. False: no such deal.
   */
  private async initialize(dealId: string): Promise<boolean> {
    const deal = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: dealPk(dealId), sk: DEAL_SK }, ConsistentRead: true }),
    );
    if (!deal.Item) return false;
    let allocated = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': dealPk(dealId), ':prefix': CAMPAIGN_SK_PREFIX },
          ProjectionExpression: 'budget',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const campaign of page.Items ?? []) allocated += (campaign.budget as Money).amountMinor;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: dealBudgetToItem(budgetOf(deal.Item as Deal, allocated)),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
    return true;
  }

  private async get(dealId: string): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: dealPk(dealId), sk: DEAL_BUDGET_SK }, ConsistentRead: true }),
    );
    return out.Item;
  }
}

function budgetOf(deal: Pick<Deal, 'id' | 'totalValue'>, allocatedMinor: number): DealBudget {
  return {
    dealId: deal.id,
    currency: deal.totalValue.currency,
    totalValueMinor: deal.totalValue.amountMinor,
    allocatedMinor,
    availableMinor: deal.totalValue.amountMinor - allocatedMinor,
  };
}
