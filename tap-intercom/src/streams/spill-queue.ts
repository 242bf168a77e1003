/**
 * Records kept for later in a temporary file (one JSON document per line) instead of in memory: a
 * scroll's parents wait there until the scroll ends and their children are read, so a workspace of
 * any size costs disk, not memory.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, open, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export class SpillQueue<T> {
  private file: { dir: string; path: string; handle: FileHandle } | undefined;
  private count = 0;

  get length(): number {
    return this.count;
  }

  async push(items: T[]): Promise<void> {
    if (items.length === 0) return;
    if (!this.file) {
      const dir = await mkdtemp(join(tmpdir(), "tap-intercom-"));
      const path = join(dir, "queue.jsonl");
      this.file = { dir, path, handle: await open(path, "w", 0o600) };
    }
    await this.file.handle.write(items.map((item) => `${JSON.stringify(item)}\n`).join(""));
    this.count += items.length;
  }

  /** The items in the order pushed, in batches of at most `size`; may be read more than once. */
  async *batches(size: number): AsyncGenerator<T[]> {
    if (!this.file) return;
    const lines = createInterface({ input: createReadStream(this.file.path, { encoding: "utf8" }), crlfDelay: Infinity });
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

  /** Deletes the file. */
  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    if (!file) return;
    await file.handle.close().catch(() => undefined);
    await rm(file.dir, { recursive: true, force: true });
  }
}
