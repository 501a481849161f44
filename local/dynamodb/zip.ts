/**
 * Just enough of the ZIP format to list a jar's entries and drop some of them, without unpacking.
 * Entries are copied byte for byte (local header, compressed data, data descriptor); only the central
 * directory and the end record are rewritten. No ZIP64 (the jars handled here are a few MB).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;

interface CentralEntry {
  name: string;
  /** Offset of the entry's local file header. */
  localOffset: number;
  /** The raw central directory record. */
  record: Buffer;
}

interface ZipIndex {
  entries: CentralEntry[];
  cdOffset: number;
  eocdOffset: number;
}

function readIndex(buf: Buffer): ZipIndex {
  const min = Math.max(0, buf.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = buf.length - 22; i >= min; i--) {
    if (buf.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file: end of central directory not found');
  const count = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new Error('ZIP64 archives are not supported');
  const entries: CentralEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== CEN_SIG) throw new Error(`bad central directory record at ${p}`);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    const size = 46 + nameLen + extraLen + commentLen;
    entries.push({
      name: buf.toString('utf8', p + 46, p + 46 + nameLen),
      localOffset,
      record: buf.subarray(p, p + size),
    });
    p += size;
  }
  return { entries, cdOffset, eocdOffset: eocd };
}

export function listZipEntries(file: string): string[] {
  return readIndex(readFileSync(file)).entries.map((e) => e.name);
}

/** Removes the named entries from the archive in place (atomic rename). Returns how many were removed. */
export function removeZipEntries(file: string, names: readonly string[]): number {
  const buf = readFileSync(file);
  const { entries, cdOffset, eocdOffset } = readIndex(buf);
  const drop = new Set(names);
  // Each entry's bytes run from its local header to the next local header (or the central directory).
  const byOffset = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  const ends = new Map<CentralEntry, number>();
  byOffset.forEach((e, i) => ends.set(e, byOffset[i + 1]?.localOffset ?? cdOffset));

  const parts: Buffer[] = [];
  const kept: Buffer[] = [];
  let out = 0;
  let removed = 0;
  for (const entry of byOffset) {
    if (drop.has(entry.name)) {
      removed++;
      continue;
    }
    if (buf.readUInt32LE(entry.localOffset) !== LOC_SIG) throw new Error(`bad local header for ${entry.name}`);
    parts.push(buf.subarray(entry.localOffset, ends.get(entry)));
    const record = Buffer.from(entry.record);
    record.writeUInt32LE(out, 42);
    kept.push(record);
    out += ends.get(entry)! - entry.localOffset;
  }
  if (removed === 0) return 0;
  const cd = Buffer.concat(kept);
  const eocd = Buffer.from(buf.subarray(eocdOffset));
  eocd.writeUInt16LE(kept.length, 8);
  eocd.writeUInt16LE(kept.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(out, 16);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat([...parts, cd, eocd]));
  renameSync(tmp, file);
  return removed;
}
