/** Money as integer minor units (cents for USD) with an ISO-4217 currency code. Never floats. */
export interface Money {
  amountMinor: number;
  currency: string;
}
