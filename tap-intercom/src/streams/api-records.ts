/**
 * Reads of API records through the types generated from the stream schemas (schemas/types/): the
 * field names are the schema's, so a field the schema renames fails to compile here. A record from
 * Intercom is input, not validated data, so every value reads as `unknown` until the code checks it.
 */
import type { ArticlesRecord, CompaniesRecord, ContactsRecord, ConversationsRecord, TicketsRecord } from "../../../schemas/types/index.js";
import type { ApiRecord } from "./declaration.js";

/**
 * The fields of `T`, each possibly absent; nested objects keep their field names (read them with
 * `?.`, which is safe on any JSON value), every other value is `unknown`.
 */
export type Unchecked<T> = T extends readonly unknown[]
  ? unknown
  : T extends object
    ? { readonly [K in keyof T]?: Unchecked<NonNullable<T[K]>> }
    : unknown;

/** The record read as a `T`, or as the object a nullable `T` allows (nothing is checked: see `Unchecked`). */
export function unchecked<T>(record: ApiRecord): Unchecked<NonNullable<T>> {
  return record as Unchecked<NonNullable<T>>;
}

/** A record whose children a child stream reads (`parent` in the declarations). */
export type ParentRecord = ContactsRecord | CompaniesRecord | ConversationsRecord | TicketsRecord | ArticlesRecord;
