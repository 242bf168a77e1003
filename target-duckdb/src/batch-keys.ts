/** What the keys of one staged chunk let its merge skip. */
export interface ChunkKeys {
  /** No key repeats within the chunk, so every staged row is inserted without picking the last per key. */
  distinct: boolean;
  /** No key repeats one of an earlier chunk of the batch, so rows the chunk replaces may be deleted once, at the batch's end. */
  newToBatch: boolean;
}

/** Chunk keys that prove nothing: for streams whose keys are not tracked. */
export function untrackedChunkKeys(hasKeys: boolean): ChunkKeys {
  return { distinct: !hasKeys, newToBatch: false };
}

/**
 * The record keys of a stream's open batch, chunk by chunk. Only for streams whose keys DuckDB
 * finds equal always have equal key texts: only there do distinct texts prove distinct keys.
 */
export class BatchKeys {
  /** Each key of the batch, with the number of the chunk it last came in. */
  private readonly chunkOfKey = new Map<string, number>();
  private chunk = 0;
  private distinct = true;
  private newToBatch = true;

  add(key: string): void {
    const seenIn = this.chunkOfKey.get(key);
    if (seenIn === this.chunk) this.distinct = false;
    else if (seenIn !== undefined) this.newToBatch = false;
    this.chunkOfKey.set(key, this.chunk);
  }

  /** The staged chunk goes to merging: what its keys allow; the next chunk of the batch starts. */
  takeChunk(): ChunkKeys {
    const taken = { distinct: this.distinct, newToBatch: this.newToBatch };
    this.chunk += 1;
    this.distinct = true;
    this.newToBatch = true;
    return taken;
  }

  /** The batch went to its commit: the next one starts with no keys. */
  startBatch(): void {
    this.chunkOfKey.clear();
    this.chunk = 0;
    this.distinct = true;
    this.newToBatch = true;
  }
}
