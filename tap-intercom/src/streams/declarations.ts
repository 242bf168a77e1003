/** Every REST stream of the tap, declared. */
import activityLogs from "../../../schemas/activity_logs.json" with { type: "json" };
import admins from "../../../schemas/admins.json" with { type: "json" };
import articleStatistics from "../../../schemas/article_statistics.json" with { type: "json" };
import articles from "../../../schemas/articles.json" with { type: "json" };
import awayStatusReasons from "../../../schemas/away_status_reasons.json" with { type: "json" };
import brands from "../../../schemas/brands.json" with { type: "json" };
import calls from "../../../schemas/calls.json" with { type: "json" };
import companies from "../../../schemas/companies.json" with { type: "json" };
import companyAttributes from "../../../schemas/company_attributes.json" with { type: "json" };
import companyNotes from "../../../schemas/company_notes.json" with { type: "json" };
import companySegments from "../../../schemas/company_segments.json" with { type: "json" };
import contactAttributes from "../../../schemas/contact_attributes.json" with { type: "json" };
import contactNotes from "../../../schemas/contact_notes.json" with { type: "json" };
import contacts from "../../../schemas/contacts.json" with { type: "json" };
import conversationAttributes from "../../../schemas/conversation_attributes.json" with { type: "json" };
import conversationParts from "../../../schemas/conversation_parts.json" with { type: "json" };
import conversations from "../../../schemas/conversations.json" with { type: "json" };
import helpCenterCollections from "../../../schemas/help_center_collections.json" with { type: "json" };
import helpCenters from "../../../schemas/help_centers.json" with { type: "json" };
import newsItems from "../../../schemas/news_items.json" with { type: "json" };
import newsfeeds from "../../../schemas/newsfeeds.json" with { type: "json" };
import segmentDefinitions from "../../../schemas/segment_definitions.json" with { type: "json" };
import segments from "../../../schemas/segments.json" with { type: "json" };
import subscriptionTypes from "../../../schemas/subscription_types.json" with { type: "json" };
import tags from "../../../schemas/tags.json" with { type: "json" };
import teams from "../../../schemas/teams.json" with { type: "json" };
import ticketParts from "../../../schemas/ticket_parts.json" with { type: "json" };
import ticketStates from "../../../schemas/ticket_states.json" with { type: "json" };
import ticketTypes from "../../../schemas/ticket_types.json" with { type: "json" };
import tickets from "../../../schemas/tickets.json" with { type: "json" };
import type { ConversationAttributesRecord, ConversationsRecord, Note, SegmentsRecord, TagsRecord } from "../../../schemas/types/index.js";
import type { JsonSchema } from "../../../singer/src/index.js";
import { apiVersionAtLeast } from "../settings.js";
import { unchecked, type ParentRecord } from "./api-records.js";
import type { ApiRecord, StreamDeclaration } from "./declaration.js";
import { inlineRefs } from "./schema-refs.js";

const schema = (json: unknown): JsonSchema => inlineRefs(json as JsonSchema);
/** `GET /<collection>/{id}<suffix>` for a parent record. */
const parentPath = (collection: string, suffix = "") => (parent: ApiRecord): string => `/${collection}/${encodeURIComponent(String(unchecked<ParentRecord>(parent).id))}${suffix}`;
/** A child record with its parent's id and updated_at as `<prefix>_id` and `<prefix>_updated_at`. */
const withParent = (prefix: string) => (child: ApiRecord, parent: ApiRecord): ApiRecord => {
  const { id, updated_at } = unchecked<ParentRecord>(parent);
  return { ...child, [`${prefix}_id`]: id, [`${prefix}_updated_at`]: updated_at };
};
/** A full-table list answering `{type: "list", data: [...]}`. */
const dataList = (name: string, json: unknown, path: string, extra: { paged?: boolean; since?: string } = {}): StreamDeclaration => ({
  kind: "list", name, schema: schema(json), keyProperties: ["id"], path, recordsPath: ["data"], paged: extra.paged ?? false, ...(extra.since ? { since: extra.since } : {}),
});
/** A note list per parent (2.14 yaml:4334 `note_list`, 50 per page; 2.16 yaml:6567, 7214). */
const notesOf = (parent: "contact" | "company", parents: "contacts" | "companies", json: unknown): StreamDeclaration => ({
  kind: "child", name: `${parent}_notes`, schema: schema(json), keyProperties: ["id"], replicationKey: `${parent}_updated_at`, parent: parents,
  path: parentPath(parents, "/notes"), recordsPath: ["data"], enrich: withParent(parent), paged: true, skipNotFound: true,
  optIn: { cost: `one request per changed ${parent} (a further one per 50 notes beyond the first 50): as many requests as ${parents} on a first sync` },
});

export const declarations: StreamDeclaration[] = [
  { kind: "list", name: "admins", schema: schema(admins), keyProperties: ["id"], path: "/admins", recordsPath: ["admins"], paged: false },
  { kind: "list", name: "teams", schema: schema(teams), keyProperties: ["id"], path: "/teams", recordsPath: ["teams"], paged: false },
  { kind: "list", name: "tags", schema: schema(tags), keyProperties: ["id"], path: "/tags", recordsPath: ["data"], paged: false },
  {
    kind: "list",
    name: "segments",
    schema: schema(segments),
    keyProperties: ["id"],
    path: "/segments",
    query: { include_count: "true" },
    recordsPath: ["segments"],
    paged: true,
    filter: (segment) => unchecked<SegmentsRecord>(segment).person_type !== "company",
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
    recordsPath: ["segments"],
    paged: true,
    filter: (segment) => unchecked<SegmentsRecord>(segment).person_type === "company",
  },
  {
    kind: "list",
    name: "company_attributes",
    schema: schema(companyAttributes),
    // `name` repeats within a model (the company's name and plan.name are both "name"); full_name does not.
    keyProperties: ["full_name"],
    path: "/data_attributes",
    query: { model: "company" },
    recordsPath: ["data"],
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
    recordsPath: ["data"],
    paged: false,
  },
  {
    kind: "list",
    name: "conversation_attributes",
    schema: schema(conversationAttributes),
    keyProperties: ["full_name"],
    // From 2.16 conversation attributes have their own endpoint.
    path: (config) => (apiVersionAtLeast(config.apiVersion, "2.16") ? "/conversations/attributes" : "/data_attributes?model=conversation"),
    recordsPath: ["data"],
    paged: false,
    // That endpoint sends no full_name: the value of a conversation attribute lives in custom_attributes.<name>.
    complete: (attribute) => {
      const { full_name, name } = unchecked<ConversationAttributesRecord>(attribute);
      return typeof full_name === "string" ? attribute : { ...attribute, full_name: `custom_attributes.${String(name)}` };
    },
  },
  {
    kind: "scroll",
    name: "companies",
    schema: schema(companies),
    keyProperties: ["id"],
    replicationKey: "updated_at",
    customAttributesModel: "company",
    path: "/companies/scroll",
    recordsPath: ["data"],
  },
  {
    kind: "child",
    name: "company_segments",
    schema: schema(companySegments),
    keyProperties: ["company_id", "id"],
    replicationKey: "company_updated_at",
    parent: "companies",
    path: parentPath("companies", "/segments"),
    recordsPath: ["data"],
    enrich: withParent("company"),
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
    recordsPath: ["data"],
    // A contact embeds at most 10 tags, companies and notes (2.14 yaml:16611, 16716, 16977).
    // GET /contacts/{id}/tags answers a tag_list, all at once (2.14 yaml:4898); /contacts/{id}/notes
    // a note_list (2.14 yaml:4334); /contacts/{id}/companies pages by 50 and answers `data` in its
    // example, `companies` in its schema (2.14 yaml:4157, 16596).
    embeddedLists: [
      { field: "tags", recordsPaths: [["data"]], item: (tag) => ({ type: "tag", id: unchecked<TagsRecord>(tag).id, url: `/tags/${String(unchecked<TagsRecord>(tag).id)}` }) },
      { field: "notes", recordsPaths: [["data"]], item: (note) => ({ type: "note", id: unchecked<Note>(note).id, url: `/notes/${String(unchecked<Note>(note).id)}` }) },
      {
        field: "companies",
        recordsPaths: [["data"], ["companies"]],
        item: (company) => ({ type: "company", id: unchecked<ParentRecord>(company).id, url: `/companies/${String(unchecked<ParentRecord>(company).id)}` }),
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
    recordsPath: ["conversations"],
    // 2.16 yaml:13521-13586: ids, newest first by default, `per_page` at most 60. 2.14 has no feed.
    deletions: { path: "/conversations/deleted", query: { per_page: 60, order: "desc" }, recordsPath: ["conversations"], since: "2.16" },
  },
  {
    kind: "child",
    name: "conversation_parts",
    schema: schema(conversationParts),
    keyProperties: ["id"],
    replicationKey: "conversation_updated_at",
    parent: "conversations",
    path: parentPath("conversations"),
    recordsPath: ["conversation_parts", "conversation_parts"],
    enrich: (part, parent) => {
      const conversation = unchecked<ConversationsRecord>(parent);
      return {
        ...part,
        conversation_id: conversation.id,
        conversation_updated_at: conversation.updated_at,
        conversation_total_parts: conversation.statistics?.count_conversation_parts ?? null,
      };
    },
    inspect: (response, parent, returned) => {
      const conversation = unchecked<ConversationsRecord>(parent);
      const expected = unchecked<ConversationsRecord>(response).statistics?.count_conversation_parts;
      if (typeof expected !== "number" || expected <= returned) return undefined;
      return {
        warning: `conversation ${String(conversation.id)} has ${expected} parts but Intercom returned ${returned} (it returns at most 500): ${expected - returned} parts are missing; the report_consolidated_conversation_part stream (Reporting Data Export) holds every part`,
        metric: "conversation_parts_truncated",
        tags: { conversation_id: conversation.id, expected, returned },
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
    recordsPath: ["activity_logs"],
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
    recordsPath: ["tickets"],
  },
  {
    // GET /tickets/{id} holds the ticket's timeline (2.14 yaml:13784 getTicket, `ticket_parts`; 2.16 yaml:20712).
    kind: "child",
    name: "ticket_parts",
    schema: schema(ticketParts),
    keyProperties: ["id"],
    replicationKey: "ticket_updated_at",
    parent: "tickets",
    path: parentPath("tickets"),
    recordsPath: ["ticket_parts", "ticket_parts"],
    enrich: withParent("ticket"),
    skipNotFound: true,
  },
  // 2.14 yaml:12343, 22669 (`ticket_type_list`); 2.16 yaml:18966, 34465.
  dataList("ticket_types", ticketTypes, "/ticket_types"),
  // 2.14 yaml:11983, 22485 (`ticket_state_list` of `ticket_state_detailed`); 2.16 yaml:18606, 34281.
  dataList("ticket_states", ticketStates, "/ticket_states"),
  // 2.14 yaml:1493, 15997; 2.16 yaml:3236, 24516.
  dataList("away_status_reasons", awayStatusReasons, "/away_status_reasons"),
  // 2.14 yaml:2736, 20686; 2.16 yaml:5251, 32143 (adds `default`, `locales`).
  dataList("help_centers", helpCenters, "/help_center/help_centers"),
  // 2.14 yaml:11098, 21749; 2.16 yaml:17656, 33470.
  dataList("subscription_types", subscriptionTypes, "/subscription_types"),
  // `paginated_response` (2.14 yaml:10360, 10804; 2.16 yaml:16918, 17362).
  dataList("news_items", newsItems, "/news/news_items", { paged: true }),
  dataList("newsfeeds", newsfeeds, "/news/newsfeeds", { paged: true }),
  // Only from 2.16 (2.16 yaml:21655, 24434); 2.14 has no brands endpoint.
  dataList("brands", brands, "/brands", { since: "2.16" }),
  // `page`/`per_page` only (2.14 yaml:11248; 2.16 yaml:17806): no time filter, so full table.
  dataList("calls", calls, "/calls", { paged: true }),
  { kind: "list", name: "articles", schema: schema(articles), keyProperties: ["id"], path: "/articles", recordsPath: ["data"], paged: true },
  {
    kind: "list",
    name: "help_center_collections",
    schema: schema(helpCenterCollections),
    keyProperties: ["id"],
    path: "/help_center/collections",
    recordsPath: ["data"],
    paged: true,
  },
  {
    // Statistics are only on GET /articles/{id} (2.14 yaml:1158, 15715; 2.16 yaml:2294, 23959 adds the fin_* counts).
    kind: "child",
    name: "article_statistics",
    schema: schema(articleStatistics),
    keyProperties: ["article_id"],
    parent: "articles",
    path: parentPath("articles"),
    // One object, so one record when the article has statistics and none otherwise.
    recordsPath: ["statistics"],
    objectIsRecord: true,
    enrich: withParent("article"),
    skipNotFound: true,
  },
  notesOf("contact", "contacts", contactNotes),
  { ...notesOf("company", "companies", companyNotes), since: "2.16" },
];

export function declarationOf(name: string): StreamDeclaration | undefined {
  return declarations.find((d) => d.name === name);
}
