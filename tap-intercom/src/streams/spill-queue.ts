/**
 * Records kept for later in a temporary file (one JSON document per line) instead of in memory: a
 * scroll's parents wait there until the scroll ends and their children are read, so a workspace of
 * any size costs disk, not memory.
 *
 * The file is unlinked (and its directory removed) as soon as it is open: it is read and written
 * through the open handle only, so a run killed at any point (SIGKILL included) leaves nothing
 * behind; the system frees the space when the handle closes.
 */
import { mkdtemp, open, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export class SpillQueue<T> {
  private file: { handle: FileHandle } | undefined;
  private count = 0;

  get length(): number {
    return this.count;
  }

  async push(items: T[]): Promise<void> {
    if (items.length === 0) return;
    if (!this.file) {
      const dir = await mkdtemp(join(tmpdir(), "tap-intercom-"));
      try {
        this.file = { handle: await open(join(dir, "queue.jsonl"), "w+", 0o600) };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    await this.file.handle.write(items.map((item) => `${JSON.stringify(item)}\n`).join(""));
    this.count += items.length;
  }

  /** The items in the order pushed, in batches of at most `size`; may be read more than once. */
  async *batches(size: number): AsyncGenerator<T[]> {
    if (!this.file) return;
    // From the start at explicit positions, leaving the handle open (and its write position as it is).
    const input = this.file.handle.createReadStream({ start: 0, encoding: "utf8", autoClose: false });
    const lines = createInterface({ input, crlfDelay: Infinity });
    let batch: T[] = [];
    for await (const line of lines) {
      if (line === "") continue;
      batch.push(JSON.parse(line) as T);
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** Closes the (already unlinked) file, which frees its space. */
  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.handle.close().catch(() => undefined);
  }
}
