/**
 * Stream providers: each discovers a set of streams and syncs the ones it owns. The CLI asks
 * every provider in `providers` for discovery and hands each selected stream to its owner.
 */
import type { CatalogStream, Logger, SingerWriter } from "../../singer/src/index.js";
import type { IntercomClient } from "./http/client.js";
import type { Progress } from "./progress.js";
import type { TapConfig } from "./settings.js";
import type { StateHolder } from "./state-holder.js";
import { reportingProvider } from "./reporting/index.js";
import { restProvider } from "./streams/rest-provider.js";

export interface DiscoverContext {
  config: TapConfig;
  client: IntercomClient;
  logger: Logger;
}

export interface SyncContext {
  config: TapConfig;
  client: IntercomClient;
  logger: Logger;
  writer: SingerWriter;
  state: StateHolder;
  progress: Progress;
  /** The whole catalog of the run, for streams that read their parents' selection. */
  catalog: CatalogStream[];
}

export interface StreamProvider {
  discover(ctx: DiscoverContext): Promise<CatalogStream[]>;
  owns(tapStreamId: string): boolean;
  sync(ctx: SyncContext, stream: CatalogStream): Promise<void>;
  /** Why a selected stream cannot run with these settings (it is skipped with a warning), if it cannot. */
  cannotRun?(config: TapConfig, stream: CatalogStream): string | undefined;
}

export const providers: StreamProvider[] = [restProvider, reportingProvider];
