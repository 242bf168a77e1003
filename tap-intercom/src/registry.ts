/** Every stream provider of the tap: the CLI asks each for discovery and hands each selected stream to its owner. */
import type { StreamProvider } from "./providers.js";
import { contentDataProvider } from "./reporting/content-data.js";
import { reportingProvider } from "./reporting/provider.js";
import { restProvider } from "./streams/rest-provider.js";

export const providers: StreamProvider[] = [restProvider, reportingProvider, contentDataProvider];

/** The provider that owns a stream, if any does (a catalog or state from elsewhere may name streams none owns). */
export function providerOf(tapStreamId: string): StreamProvider | undefined {
  return providers.find((p) => p.owns(tapStreamId));
}
