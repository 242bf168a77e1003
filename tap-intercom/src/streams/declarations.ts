/** Every REST stream of the tap, declared. */
import activityLogs from "../../../schemas/activity_logs.json" with { type: "json" };
import admins from "../../../schemas/admins.json" with { type: "json" };
import articles from "../../../schemas/articles.json" with { type: "json" };
import companies from "../../../schemas/companies.json" with { type: "json" };
import companyAttributes from "../../../schemas/company_attributes.json" with { type: "json" };
import companySegments from "../../../schemas/company_segments.json" with { type: "json" };
import contactAttributes from "../../../schemas/contact_attributes.json" with { type: "json" };
import contacts from "../../../schemas/contacts.json" with { type: "json" };
import conversationAttributes from "../../../schemas/conversation_attributes.json" with { type: "json" };
import conversationParts from "../../../schemas/conversation_parts.json" with { type: "json" };
import conversations from "../../../schemas/conversations.json" with { type: "json" };
import helpCenterCollections from "../../../schemas/help_center_collections.json" with { type: "json" };
import segmentDefinitions from "../../../schemas/segment_definitions.json" with { type: "json" };
import segments from "../../../schemas/segments.json" with { type: "json" };
import tags from "../../../schemas/tags.json" with { type: "json" };
import teams from "../../../schemas/teams.json" with { type: "json" };
import tickets from "../../../schemas/tickets.json" with { type: "json" };
import type { JsonSchema } from "../../../singer/src/index.js";
import { apiVersionAtLeast } from "../settings.js";
import type { ApiRecord, StreamDeclaration } from "./declaration.js";

const schema = (json: unknown): JsonSchema => json as JsonSchema;
const list = (value: unknown): ApiRecord[] => (Array.isArray(value) ? (value as ApiRecord[]) : []);
const object = (value: unknown): ApiRecord => (value && typeof value === "object" ? (value as ApiRecord) : {});

export const declarations: StreamDeclaration[] = [
  { kind: "list", name: "admins", schema: schema(admins), keyProperties: ["id"], path: "/admins", recordsKey: "admins", paged: false },
  { kind: "list", name: "teams", schema: schema(teams), keyProperties: ["id"], path: "/teams", recordsKey: "teams", paged: false },
  { kind: "list", name: "tags", schema: schema(tags), keyProperties: ["id"], path: "/tags", recordsKey: "data", paged: false },
  {
    kind: "list",
    name: "segments",
    schema: schema(segments),
    keyProperties: ["id"],
    path: "/segments",
    query: { include_count: "true" },
    recordsKey: "segments",
    paged: true,
    filter: (segment) => segment["person_type"] !== "company",
  },
  {
    kind: "list",
    name: "segment_definitions",
    schema: schema(segmentDefinitions),
    keyProperties: ["id"],
    path: "/segments",
    // `type=company` is in neither OpenAPI (2.14 yaml:10978); Intercom may ignore it and list every
    // segment, so company segments are the ones whose person_type says so.
    query: { type: "company", include_count: "true" },
    recordsKey: "segments",
    paged: true,
    filter: (segment) => segment["person_type"] === "company",
  },
  {
    kind: "list",
    name: "company_attributes",
    schema: schema(companyAttributes),
    // `name` repeats within a model (the company's name and plan.name are both "name"); full_name does not.
    keyProperties: ["full_name"],
    path: "/data_attributes",
    query: { model: "company" },
    recordsKey: "data",
    paged: false,
  },
  {
    kind: "list",
    name: "contact_attributes",
    schema: schema(contactAttributes),
    // `name` repeats within a model (the company's name and plan.name are both "name"); full_name does not.
    keyProperties: ["full_name"],
    path: "/data_attributes",
    query: { model: "contact" },
    recordsKey: "data",
    paged: false,
  },
  {
    kind: "list",
    name: "conversation_attributes",
    schema: schema(conversationAttributes),
    keyProperties: ["full_name"],
    // From 2.16 conversation attributes have their own endpoint.
    path: (config) => (apiVersionAtLeast(config.apiVersion, "2.16") ? "/conversations/attributes" : "/data_attributes?model=conversation"),
    recordsKey: "data",
    paged: false,
    // That endpoint sends no full_name: the value of a conversation attribute lives in custom_attributes.<name>.
    complete: (attribute) =>
      typeof attribute["full_name"] === "string" ? attribute : { ...attribute, full_name: `custom_attributes.${String(attribute["name"])}` },
  },
  {
    kind: "scroll",
    name: "companies",
    schema: schema(companies),
    keyProperties: ["id"],
    replicationKey: "updated_at",
    customAttributesModel: "company",
    path: "/companies/scroll",
    recordsKey: "data",
  },
  {
    kind: "child",
    name: "company_segments",
    schema: schema(companySegments),
    keyProperties: ["company_id", "id"],
    replicationKey: "company_updated_at",
    parent: "companies",
    path: (company) => `/companies/${encodeURIComponent(String(company["id"]))}/segments`,
    records: (response) => list(response["data"]),
    enrich: (segment, company) => ({ ...segment, company_id: company["id"], company_updated_at: company["updated_at"] }),
    skipNotFound: true,
  },
  {
    kind: "search",
    name: "contacts",
    schema: schema(contacts),
    keyProperties: ["id"],
    replicationKey: "updated_at",
    customAttributesModel: "contact",
    path: "/contacts/search",
    recordsKey: "data",
    // A contact embeds at most 10 tags, companies and notes (2.14 yaml:16611, 16716, 16977).
    // GET /contacts/{id}/tags answers a tag_list, all at once (2.14 yaml:4898); /contacts/{id}/notes
    // a note_list (2.14 yaml:4334); /contacts/{id}/companies pages by 50 and answers `data` in its
    // example, `companies` in its schema (2.14 yaml:4157, 16596).
    embeddedLists: [
      { field: "tags", recordsKeys: ["data"], item: (tag) => ({ type: "tag", id: tag["id"], url: `/tags/${String(tag["id"])}` }) },
      { field: "notes", recordsKeys: ["data"], item: (note) => ({ type: "note", id: note["id"], url: `/notes/${String(note["id"])}` }) },
      {
        field: "companies",
        recordsKeys: ["data", "companies"],
        item: (company) => ({ type: "company", id: company["id"], url: `/companies/${String(company["id"])}` }),
      },
    ],
  },
  {
    kind: "search",
    name: "conversations",
    schema: schema(conversations),
    keyProperties: ["id"],
    replicationKey: "updated_at",
    customAttributesModel: "conversation",
    path: "/conversations/search",
    recordsKey: "conversations",
    // 2.16 yaml:13521-13586: ids, newest first by default, `per_page` at most 60. 2.14 has no feed.
    deletions: { path: "/conversations/deleted", query: { per_page: 60, order: "desc" }, recordsKey: "conversations", since: "2.16" },
  },
  {
    kind: "child",
    name: "conversation_parts",
    schema: schema(conversationParts),
    keyProperties: ["id"],
    replicationKey: "conversation_updated_at",
    parent: "conversations",
    path: (conversation) => `/conversations/${encodeURIComponent(String(conversation["id"]))}`,
    records: (response) => list(object(response["conversation_parts"])["conversation_parts"]),
    enrich: (part, conversation) => ({
      ...part,
      conversation_id: conversation["id"],
      conversation_updated_at: conversation["updated_at"],
      conversation_total_parts: object(conversation["statistics"])["count_conversation_parts"] ?? null,
    }),
    inspect: (response, conversation, returned) => {
      const expected = object(response["statistics"])["count_conversation_parts"];
      if (typeof expected !== "number" || expected <= returned) return undefined;
      return {
        warning: `conversation ${String(conversation["id"])} has ${expected} parts but Intercom returned ${returned} (it returns at most 500): ${expected - returned} parts are missing; the report_consolidated_conversation_part stream (Reporting Data Export) holds every part`,
        metric: "conversation_parts_truncated",
        tags: { conversation_id: conversation["id"], expected, returned },
      };
    },
    skipNotFound: true,
  },
  {
    kind: "list",
    name: "activity_logs",
    schema: schema(activityLogs),
    keyProperties: ["id"],
    replicationKey: "created_at",
    path: "/admins/activity_logs",
    recordsKey: "activity_logs",
    paged: true,
    lowerBoundParam: "created_at_after",
  },
  {
    kind: "search",
    name: "tickets",
    schema: schema(tickets),
    keyProperties: ["id"],
    replicationKey: "updated_at",
    path: "/tickets/search",
    recordsKey: "tickets",
  },
  { kind: "list", name: "articles", schema: schema(articles), keyProperties: ["id"], path: "/articles", recordsKey: "data", paged: true },
  {
    kind: "list",
    name: "help_center_collections",
    schema: schema(helpCenterCollections),
    keyProperties: ["id"],
    path: "/help_center/collections",
    recordsKey: "data",
    paged: true,
  },
];

export function declarationOf(name: string): StreamDeclaration | undefined {
  return declarations.find((d) => d.name === name);
}
