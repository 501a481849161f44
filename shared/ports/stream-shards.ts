/**
 * The open shards of the bid-event stream. Heartbeats go to each (so every shard's consumer
 * watermark moves), and a budget rebuild asks the spend ledger for the minimum watermark over them.
 *
 * Closed shards (parents after a reshard) are left out on purpose: the consumer finishes a parent
 * before it reads its children, so a child's watermark already covers its parent.
 */
export interface StreamShard {
  shardId: string;
  /** What the consumer keys the shard's watermark by: see shardKey. */
  key: string;
  /** Lowest hash key of the shard's range, decimal: an ExplicitHashKey that lands on this shard. */
  startingHashKey: string;
}

export interface StreamShards {
  openShards(): Promise<readonly StreamShard[]>;
}

/**
 * The watermark key of a shard: stream name and shard id. Kinesis reuses shard ids across streams
 * (every stream starts at shardId-000000000000), so a replaced stream must not inherit the old
 * one's watermarks. `stream` is a stream name or ARN (`arn:aws:kinesis:…:stream/<name>`).
 */
export function shardKey(stream: string, shardId: string): string {
  const name = stream.startsWith('arn:') ? stream.slice(stream.lastIndexOf('/') + 1) : stream;
  return `${name}/${shardId}`;
}
