/**
 * Records as Intercom sends them, typed from the stream schemas: the tap emits `format: date-time`
 * fields as RFC 3339 text (`DateTime`), Intercom sends them as Unix seconds
 * (tap-intercom/src/streams/timestamps.ts converts one to the other); every other field is as the schema says.
 * `Time` is what the API sends for a date-time: `number | string` where it documents either (calls).
 */
import type { DateTime } from "./types/shared.js";

export type Sent<T, Time = number> = T extends DateTime
  ? Time
  : T extends readonly (infer Item)[]
    ? Sent<Item, Time>[]
    : T extends object
      ? { [K in keyof T]: Sent<T[K], Time> }
      : T;
