/**
 * The output of one stream during a sync: its SCHEMA, its RECORDs limited to the selected fields
 * and emitted at most once per key and replication value (among the keys the family has not told
 * it to forget), counts, progress and metrics.
 */
import { keyPropertiesOf, recordMessage, schemaMessage, selectedFields, type CatalogStream, type JsonSchema } from "../../../singer/src/index.js";
import type { SyncContext } from "../providers.js";
import type { ApiRecord, StreamDeclaration } from "./declaration.js";
import { dateTimeConverter, type RecordConverter } from "./timestamps.js";
import { VersionWindow } from "./version-window.js";

export class StreamOutput {
  readonly name: string;
  private readonly fields: string[];
  private readonly keys: string[];
  private readonly seen = new VersionWindow();
  private count = 0;
  private schemaSent = false;
  private readonly started = Date.now();
  private readonly toEmitted: RecordConverter;

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
    this.ctx.progress.start(this.name);
  }

  keyOf(record: ApiRecord): string {
    return JSON.stringify(this.keys.map((k) => record[k] ?? null));
  }

  /** Writes a record unless the same key with the same replication value was already written this run. */
  async write(record: ApiRecord): Promise<boolean> {
    const key = this.keyOf(record);
    const version = this.declaration.replicationKey ? (record[this.declaration.replicationKey] ?? null) : null;
    if (this.seen.has(key, version)) return false;
    this.seen.set(key, version);
    const projected: Record<string, unknown> = {};
    for (const field of this.fields) if (field in record) projected[field] = record[field];
    // Bookmarks read the API's Unix seconds from `record`; the emitted copy has RFC 3339 times.
    await this.ctx.writer.write(recordMessage(this.name, this.toEmitted(projected), { timeExtracted: new Date() }));
    this.count += 1;
    this.ctx.progress.add(this.name, 1);
    return true;
  }

  /** Forgets the records written at a replication value below `floor`: the source will not return them again. */
  forgetBelow(floor: number): void {
    this.seen.forgetBelow(floor);
  }

  finish(): void {
    this.ctx.progress.finish(this.name);
    this.ctx.logger.metric("counter", "record_count", this.count, { stream: this.name });
    this.ctx.logger.info(`${this.name}: ${this.count} records in ${((Date.now() - this.started) / 1000).toFixed(1)}s`);
  }
}
