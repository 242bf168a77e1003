/**
 * The output of one stream during a sync: its SCHEMA, its RECORDs limited to the selected fields
 * and emitted at most once per key and replication value (among the keys the family has not told
 * it to forget), counts, progress and metrics.
 *
 * A FULL_TABLE stream (unless emit_activate_version_messages is false) is versioned as singer-io
 * taps and the Meltano SDK do: its records carry a `version` (the sync's start, epoch ms) and an
 * ACTIVATE_VERSION follows the last one, so the target marks deleted (or removes) the rows of older
 * versions: what Intercom no longer returns. Before the records it is sent only on the stream's
 * first versioned sync (no `version` in its bookmark), so a later sync never leaves the table
 * looking empty while it runs. The version goes into the bookmark after the closing message, in
 * the STATE that follows it.
 */
import {
  activateVersionMessage,
  keyPropertiesOf,
  recordMessage,
  replicationMethodOf,
  schemaMessage,
  selectedFields,
  type CatalogStream,
  type JsonSchema,
} from "../../../singer/src/index.js";
import type { BookmarkShape, SyncContext } from "../providers.js";
import type { ApiRecord, StreamDeclaration } from "./declaration.js";
import { dateTimeConverter, type RecordConverter } from "./timestamps.js";
import { VersionWindow } from "./version-window.js";

/** The bookmark key of a full-table stream's last activated table version. */
export const VERSION_BOOKMARK = "version";
export const VERSION_SHAPE: BookmarkShape = { description: "an integer (epoch milliseconds)", test: (value) => typeof value === "number" && Number.isSafeInteger(value) };

export class StreamOutput {
  readonly name: string;
  private readonly fields: string[];
  private readonly keys: string[];
  private readonly seen = new VersionWindow();
  private count = 0;
  private schemaSent = false;
  private readonly started = Date.now();
  private readonly toEmitted: RecordConverter;
  /** The table version of a versioned full-table stream, else undefined. */
  private readonly tableVersion: number | undefined;

  constructor(
    private readonly ctx: SyncContext,
    readonly catalogStream: CatalogStream,
    readonly declaration: StreamDeclaration,
  ) {
    this.name = catalogStream.tap_stream_id;
    this.fields = selectedFields(catalogStream);
    const keys = keyPropertiesOf(catalogStream);
    this.keys = keys.length > 0 ? keys : declaration.keyProperties;
    this.toEmitted = dateTimeConverter(catalogStream.schema);
    if (ctx.config.emitActivateVersion && replicationMethodOf(catalogStream) === "FULL_TABLE") {
      // Later than the previous version even if the clock went back.
      this.tableVersion = Math.max(Date.now(), (this.previousVersion() ?? 0) + 1);
    }
  }

  private previousVersion(): number | undefined {
    const version = this.ctx.state.getBookmark<unknown>(this.name, VERSION_BOOKMARK);
    return typeof version === "number" && Number.isSafeInteger(version) ? version : undefined;
  }

  /** Whether a top-level field is selected, so worth reading. */
  selects(field: string): boolean {
    return this.fields.includes(field);
  }

  get records(): number {
    return this.count;
  }

  async start(): Promise<void> {
    if (this.schemaSent) return;
    this.schemaSent = true;
    const properties: Record<string, JsonSchema> = {};
    for (const field of this.fields) properties[field] = this.catalogStream.schema.properties?.[field] ?? {};
    const schema: JsonSchema = { ...this.catalogStream.schema, properties };
    if (Array.isArray(schema.required)) schema.required = schema.required.filter((f) => this.fields.includes(f));
    const bookmark = this.declaration.replicationKey ? [this.declaration.replicationKey] : undefined;
    await this.ctx.writer.write(schemaMessage(this.name, schema, this.keys, bookmark));
    if (this.tableVersion !== undefined && this.previousVersion() === undefined) {
      await this.ctx.writer.write(activateVersionMessage(this.name, this.tableVersion));
    }
    this.ctx.progress.start(this.name);
  }

  keyOf(record: ApiRecord): string {
    return JSON.stringify(this.keys.map((k) => record[k] ?? null));
  }

  /**
   * Writes a record unless the same key with the same replication value was already written this
   * run (among those `seen` remembers: the stream's own window, or a time slice's, see slices.ts).
   */
  async write(record: ApiRecord, seen: VersionWindow = this.seen): Promise<boolean> {
    const key = this.keyOf(record);
    const version = this.declaration.replicationKey ? (record[this.declaration.replicationKey] ?? null) : null;
    if (seen.has(key, version)) return false;
    seen.set(key, version);
    const projected: Record<string, unknown> = {};
    for (const field of this.fields) if (field in record) projected[field] = record[field];
    // Bookmarks read the API's Unix seconds from `record`; the emitted copy has RFC 3339 times.
    await this.ctx.writer.write(recordMessage(this.name, this.toEmitted(projected), { timeExtracted: new Date(), version: this.tableVersion }));
    this.count += 1;
    this.ctx.progress.add(this.name, 1);
    return true;
  }

  /** Forgets the records written at a replication value below `floor`: the source will not return them again. */
  forgetBelow(floor: number): void {
    this.seen.forgetBelow(floor);
  }

  /**
   * After the stream's last record, before the STATE that ends it: a versioned stream activates
   * its version and bookmarks it. Not called when the sync fails, so a partial read deletes nothing.
   */
  async complete(): Promise<void> {
    if (this.tableVersion === undefined) return;
    await this.ctx.writer.write(activateVersionMessage(this.name, this.tableVersion));
    this.ctx.state.setBookmark(this.name, VERSION_BOOKMARK, this.tableVersion);
  }

  finish(): void {
    this.ctx.progress.finish(this.name);
    this.ctx.logger.metric("counter", "record_count", this.count, { stream: this.name });
    this.ctx.logger.forStream(this.name).info(`${this.count} records in ${((Date.now() - this.started) / 1000).toFixed(1)}s`);
  }
}
