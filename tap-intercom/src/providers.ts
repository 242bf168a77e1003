/**
 * What a stream provider is: it discovers a set of streams and syncs the ones it owns. The
 * providers implement this; `registry.ts`, above them, lists them.
 */
import type { CatalogStream, Logger, SingerWriter } from "../../singer/src/index.js";
import type { IntercomClient } from "./http/client.js";
import type { Progress } from "./progress.js";
import type { TapConfig } from "./settings.js";
import type { StateHolder } from "./state-holder.js";

export interface DiscoverContext {
  config: TapConfig;
  client: IntercomClient;
  logger: Logger;
}

/** Where a stream's messages go: the run's SingerWriter, or a wrapper of it. */
export type MessageWriter = Pick<SingerWriter, "write">;

export interface SyncContext {
  config: TapConfig;
  client: IntercomClient;
  logger: Logger;
  writer: MessageWriter;
  state: StateHolder;
  progress: Progress;
  /** The whole catalog of the run, for streams that read their parents' selection. */
  catalog: CatalogStream[];
}

export interface StreamProvider {
  discover(ctx: DiscoverContext): Promise<CatalogStream[]>;
  owns(tapStreamId: string): boolean;
  sync(ctx: SyncContext, stream: CatalogStream): Promise<void>;
  /** The stream whose sync also syncs this one (a child stream's parent), if any. */
  parentOf?(tapStreamId: string): string | undefined;
  /**
   * How many of its streams may sync at the same time: `true` all of them, a number at most that
   * many (the export jobs Intercom keeps pending at once), absent one after another.
   */
  concurrentStreams?: true | number;
  /** Why a selected stream cannot run with these settings (it is skipped with a warning), if it cannot. */
  cannotRun?(config: TapConfig, stream: CatalogStream): string | undefined;
  /**
   * The bookmark keys this stream reads, each with a test of the value's shape (a state of another
   * tap or version may hold others: they are ignored with a warning). None: the stream keeps no bookmark.
   */
  bookmarkKeys?(tapStreamId: string): Record<string, BookmarkShape>;
  /** The top-level fields this stream can emit, when they are known without discovery. */
  knownFields?(tapStreamId: string): string[] | undefined;
}

/** What a bookmark value must look like, and a test for it. */
export interface BookmarkShape {
  description: string;
  test: (value: unknown) => boolean;
}
