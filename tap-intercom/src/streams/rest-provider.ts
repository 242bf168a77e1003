/** The provider of every declared REST stream. */
import { InternalError, streamLabel, type CatalogStream } from "../../../singer/src/index.js";
import type { StreamProvider, SyncContext } from "../providers.js";
import { apiVersionAtLeast, type TapConfig } from "../settings.js";
import type { ChildDeclaration, ParentDeclaration, StreamDeclaration } from "./declaration.js";
import { declarationOf, declarations } from "./declarations.js";
import { bookmarkShapes } from "./bookmark.js";
import { DELETED_AT_BOOKMARK, DELETED_AT_SHAPE } from "./deletions.js";
import { discoverStreams } from "./discover.js";
import { syncFamily } from "./family.js";
import { VERSION_BOOKMARK, VERSION_SHAPE } from "./output.js";

/** Why a declared stream cannot run at the configured Intercom-Version, if it cannot. */
function versionGap(config: TapConfig, declaration: StreamDeclaration | undefined): string | undefined {
  if (!declaration?.since || apiVersionAtLeast(config.apiVersion, declaration.since)) return undefined;
  return `Intercom has the endpoint from API version ${declaration.since} (api_version is ${config.apiVersion})`;
}

function selectedChildrenOf(ctx: SyncContext, parent: string): { declaration: ChildDeclaration; stream: CatalogStream }[] {
  return ctx.catalog.flatMap((stream) => {
    const declaration = declarationOf(stream.tap_stream_id);
    const runs = declaration?.kind === "child" && declaration.parent === parent && !versionGap(ctx.config, declaration);
    return runs ? [{ declaration, stream }] : [];
  });
}

export const restProvider: StreamProvider = {
  discover: (ctx) => discoverStreams(ctx, declarations),

  owns: (tapStreamId) => declarationOf(tapStreamId) !== undefined,

  // Each family reads its own endpoints; the one scroll (companies) is the only scroll stream.
  concurrentStreams: true,

  cannotRun: (config, stream) => versionGap(config, declarationOf(stream.tap_stream_id)),

  bookmarkKeys(tapStreamId) {
    const declaration = declarationOf(tapStreamId);
    if (!declaration) return {};
    const field = declaration.replicationKey;
    return {
      ...(field ? bookmarkShapes(field) : { [VERSION_BOOKMARK]: VERSION_SHAPE }),
      ...(declaration.deletions ? { [DELETED_AT_BOOKMARK]: DELETED_AT_SHAPE } : {}),
    };
  },

  knownFields: (tapStreamId) => Object.keys(declarationOf(tapStreamId)?.schema.properties ?? {}),

  parentOf(tapStreamId) {
    const declaration = declarationOf(tapStreamId);
    return declaration?.kind === "child" ? declaration.parent : undefined;
  },

  /** `ctx.catalog` holds the selected streams: a child is synced by its parent when both are selected. */
  async sync(ctx, stream) {
    const declaration = declarationOf(stream.tap_stream_id);
    if (!declaration) throw new InternalError(`${streamLabel(stream.tap_stream_id)} has no declaration`);
    if (declaration.kind === "child") {
      if (ctx.catalog.some((s) => s.tap_stream_id === declaration.parent)) return;
      const parent = declarationOf(declaration.parent) as ParentDeclaration;
      const siblings = selectedChildrenOf(ctx, declaration.parent);
      const first = siblings[0];
      // Without the parent, the first selected sibling reads the parent for all of them.
      if (first && first.declaration.name !== declaration.name) return;
      await syncFamily(ctx, parent, undefined, siblings);
      return;
    }
    await syncFamily(ctx, declaration, stream, selectedChildrenOf(ctx, declaration.name));
  },
};
