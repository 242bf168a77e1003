/**
 * How a stream is declared. A stream is one of a few kinds, each driven entirely by its
 * declaration: adding a stream means adding an entry in `declarations.ts` and a schema in schemas/.
 */
import type { JsonSchema } from "../../../singer/src/index.js";
import type { TapConfig } from "../settings.js";

export type ApiRecord = Record<string, unknown>;

/**
 * Where the records are in a response: the keys leading to them, as Airbyte's `field_path`
 * (`["data"]`, `["conversation_parts", "conversation_parts"]`). An array there holds the records,
 * nothing (absent, null) none; an object is the one record only for a declaration with
 * `objectIsRecord`, elsewhere an error; read by `recordsAt` (response-path.ts).
 */
export type RecordsPath = readonly string[];

/**
 * An addressable list a record embeds only the first page of (`{data, url, total_count, has_more}`):
 * when `has_more` is true the whole list is read from its `url` and replaces `data`.
 */
export interface EmbeddedList {
  field: string;
  /** Where the items are in a response of the list's url, first found wins. */
  recordsPaths: RecordsPath[];
  /** An item of the whole list in the shape the record embeds. */
  item: (item: ApiRecord) => ApiRecord;
}

/**
 * A feed of the records Intercom deleted, read after the stream's own pages from API version
 * `since` on: each deleted id is written as a record carrying `_sdc_deleted_at` (and the deletion
 * time as its replication key), so the target marks or removes the row. The feed is page-numbered,
 * newest deletion first, and is read down to the previous run's latest deletion.
 */
export interface DeletionFeed {
  path: string;
  query?: Record<string, string | number>;
  /** Where the deleted items are in a response; each has the stream's key and `deleted_at`. */
  recordsPath: RecordsPath;
  since: string;
}

interface BaseDeclaration {
  name: string;
  schema: JsonSchema;
  keyProperties: string[];
  /** Where the records are in a response of the stream's endpoint: ["data"], ["admins"], … */
  recordsPath: RecordsPath;
  /** The records path holds one object, the record (an article's statistics), not a list. */
  objectIsRecord?: boolean;
  /** Incremental streams: the record field bookmarked; records are emitted with it at or after the bookmark. */
  replicationKey?: string;
  /** The data-attribute model whose custom attributes type this stream's `custom_attributes` at discovery. */
  customAttributesModel?: "contact" | "company" | "conversation";
  /** Embedded lists completed before a record is written (parent streams). */
  embeddedLists?: EmbeddedList[];
  /** The first Intercom-Version with the endpoint; below it the stream is skipped with a warning. */
  since?: string;
  /**
   * Streams that cost a request per parent record are left out of the default selection; the
   * cost is said in --discover's metadata (`cost`) and in the README.
   */
  optIn?: { cost: string };
  /** Incremental parent streams: where Intercom lists the deleted ones. */
  deletions?: DeletionFeed;
}

/** GET a list, full table, optionally paged and filtered; or incremental through a query parameter. */
export interface ListDeclaration extends BaseDeclaration {
  kind: "list";
  path: string | ((config: TapConfig) => string);
  query?: Record<string, string | number>;
  /**
   * Paged endpoints answer with `pages`, whose `next` is followed whether it is a URL, a
   * `starting_after` cursor, or absent while `page` < `total_pages`. No list the tap reads
   * documents `per_page` (2.14 and 2.16), so none is sent: the endpoint's own page size holds.
   */
  paged: boolean;
  /** Keep only the records this returns true for. */
  filter?: (record: ApiRecord) => boolean;
  /** Fills in a field some API versions leave out (after `filter`). */
  complete?: (record: ApiRecord) => ApiRecord;
  /** Incremental lists: the query parameter that takes the lower bound, in Unix seconds. */
  lowerBoundParam?: string;
}

/**
 * POST /…/search, sorted ascending on the replication key, incremental and resumable page by page.
 * The query `> bound OR = bound` reads a superset of what is new on every search endpoint: contact
 * search compares dates by calendar day in the workspace's timezone (2.14 yaml:5773-5785), where
 * `=` matches the whole day holding the bound, so it starts at that day's beginning; conversation
 * and ticket search compare to the second, where `>` already includes the bound (2.14 yaml:7464).
 * Records re-read before the bookmark are skipped by it.
 */
export interface SearchDeclaration extends BaseDeclaration {
  kind: "search";
  path: string;
  replicationKey: string;
}

/** The scroll API (companies): one scroll per workspace, constant scroll_param, ends on an empty page. */
export interface ScrollDeclaration extends BaseDeclaration {
  kind: "scroll";
  path: string;
}

/** One GET per parent record (changed parents only, for incremental parents). */
export interface ChildDeclaration extends BaseDeclaration {
  kind: "child";
  parent: string;
  path: (parent: ApiRecord) => string;
  query?: Record<string, string | number>;
  /** Adds the parent's fields to a child record. */
  enrich: (child: ApiRecord, parent: ApiRecord) => ApiRecord;
  /** Optional check on each response (truncation and the like); returns a warning to report. */
  inspect?: (response: ApiRecord, parent: ApiRecord, returned: number) => { warning: string; metric: string; tags: Record<string, unknown> } | undefined;
  /** A 404 for one parent (deleted meanwhile) is skipped instead of failing the stream. */
  skipNotFound?: boolean;
  /** The child list pages (`pages.next`): every page is read. */
  paged?: boolean;
}

export type StreamDeclaration = ListDeclaration | SearchDeclaration | ScrollDeclaration | ChildDeclaration;
export type ParentDeclaration = ListDeclaration | SearchDeclaration | ScrollDeclaration;
