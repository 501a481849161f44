/**
 * Encoded Kinesis records packed into two transferable buffers, so a batch of records moves from the
 * bidder's main thread to the publisher worker without a copy (postMessage transfer list):
 *
 *   bytes   every record's data, partition key and explicit hash key (UTF-8), back to back;
 *   index   per record three end offsets into `bytes`: [dataEnd, keyEnd, hashKeyEnd] (the start of each
 *           is the end of the one before; an empty hash key means "hash the partition key").
 *
 * Writing a record costs one JSON.stringify plus one encodeInto into a growing buffer: no per-record
 * Uint8Array (the inline publisher's TextEncoder.encode allocated one per event, a GC cost on the hot
 * thread).
 */
import { encodeEventJson, explicitHashKeyOf, partitionKeyOf } from '../../events/codec.js';
import type { BidderEvent } from '../../events/types.js';
import { KINESIS_LIMITS } from './buffered-publisher.js';

export interface RecordBatch {
  bytes: Uint8Array;
  index: Uint32Array;
}

export interface EncodedRecord {
  data: Uint8Array;
  key: string;
  hashKey?: string;
}

const utf8 = new TextEncoder();
const MIN_CHUNK_BYTES = 64 * 1024;

/** Why a record could not be written (it is counted as failed, like the inline publisher does). */
export class UnsendableRecordError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnsendableRecordError';
  }
}

export class RecordBatchWriter {
  private bytes: Uint8Array;
  private index: Uint32Array;
  private offset = 0;
  private records = 0;
  private lastChunkBytes = MIN_CHUNK_BYTES;

  constructor(private readonly keyOf: (event: BidderEvent) => string = partitionKeyOf) {
    this.bytes = new Uint8Array(MIN_CHUNK_BYTES);
    this.index = new Uint32Array(3 * 256);
  }

  get count(): number {
    return this.records;
  }

  /** Appends one event; throws UnsendableRecordError (and writes nothing) when it cannot be a record. */
  write(event: BidderEvent): void {
    let json: string;
    let key: string;
    try {
      json = encodeEventJson(event);
      key = this.keyOf(event);
    } catch (err) {
      throw new UnsendableRecordError('event cannot be encoded', { cause: err });
    }
    const hashKey = explicitHashKeyOf(event) ?? '';
    if (key.length === 0) throw new UnsendableRecordError(`event ${event.eventId} has an empty partition key`);
    const start = this.offset;
    // UTF-8 is at most 3 bytes per UTF-16 unit: reserve the worst case, then write exactly.
    this.reserve(3 * (json.length + key.length + hashKey.length));
    const dataEnd = start + this.put(json, start);
    const keyEnd = dataEnd + this.put(key, dataEnd);
    const hashEnd = keyEnd + this.put(hashKey, keyEnd);
    if (keyEnd - start > KINESIS_LIMITS.maxBytesPerRecord) {
      throw new UnsendableRecordError(`record of ${keyEnd - start} bytes (key "${key.slice(0, 64)}") cannot be sent`);
    }
    if (3 * (this.records + 1) > this.index.length) {
      const grown = new Uint32Array(this.index.length * 2);
      grown.set(this.index);
      this.index = grown;
    }
    const i = 3 * this.records;
    this.index[i] = dataEnd;
    this.index[i + 1] = keyEnd;
    this.index[i + 2] = hashEnd;
    this.records += 1;
    this.offset = hashEnd;
  }

  /** The records written so far, as transferable buffers; the writer starts a fresh chunk. */
  take(): RecordBatch {
    const batch = { bytes: this.bytes, index: this.index.subarray(0, 3 * this.records) };
    // Size the next chunk like this one: one allocation per chunk in the steady state.
    this.lastChunkBytes = Math.max(MIN_CHUNK_BYTES, Math.ceil(this.offset * 1.25));
    this.bytes = new Uint8Array(this.lastChunkBytes);
    this.index = new Uint32Array(Math.max(3 * 256, 3 * this.records));
    this.offset = 0;
    this.records = 0;
    return batch;
  }

  private reserve(extra: number): void {
    if (this.offset + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.offset + extra));
    grown.set(this.bytes.subarray(0, this.offset));
    this.bytes = grown;
  }

  private put(text: string, at: number): number {
    if (text.length === 0) return 0;
    return utf8.encodeInto(text, this.bytes.subarray(at)).written;
  }
}

const keyDecoder = new TextDecoder();

/** The records of a batch, their data as views on the transferred buffer (no copy). */
export function readRecordBatch(batch: RecordBatch): EncodedRecord[] {
  const { bytes, index } = batch;
  const out: EncodedRecord[] = [];
  let start = 0;
  for (let i = 0; i + 2 < index.length; i += 3) {
    const dataEnd = index[i]!;
    const keyEnd = index[i + 1]!;
    const hashEnd = index[i + 2]!;
    const record: EncodedRecord = { data: bytes.subarray(start, dataEnd), key: keyDecoder.decode(bytes.subarray(dataEnd, keyEnd)) };
    if (hashEnd > keyEnd) record.hashKey = keyDecoder.decode(bytes.subarray(keyEnd, hashEnd));
    out.push(record);
    start = hashEnd;
  }
  return out;
}

/** The buffers to list in postMessage's transfer list. */
export function transferListOf(batch: RecordBatch): ArrayBuffer[] {
  return [batch.bytes.buffer as ArrayBuffer, batch.index.buffer as ArrayBuffer];
}
