/**
 * What we know about Intercom's reporting datasets that their listing does not say: which
 * attributes identify a row, and the types of attributes. Intercom declares neither. Each entry
 * names where its knowledge comes from; a dataset not listed here gets the window-row key
 * (see rowIdentityOf in datasets.ts) and types guessed from attribute names.
 *
 * Sources, shortened below:
 *  - [metrics]  Intercom, "Reporting metrics & attributes" (intercom.com/help/en/articles/7022438):
 *               the conversation dataset is one row per conversation.
 *  - [export]   Intercom API 2.16/2.17 reference, Reporting Data Export (dataset and attribute ids,
 *               qualified ids, zoneless timestamps).
 *  - [clients]  Public client code calling the export: dext/tap-intercom (dataset ids, time
 *               attributes), and dashboards that export `call`, `call_team_stats`,
 *               `call_teammate_stats`, `conversation_sla_status_log`, `conversation_rating_sent`,
 *               `consolidated_conversation_part` (attribute ids; `*_team_id` / `*_teammate_id`
 *               hold NAMES; a call has one `call_team_stats` row per team it reached).
 *  - [openapi]  Intercom OpenAPI 2.14, `data_export_csv` (yaml:19491-19585), for the content data
 *               export the tap reads as the `content_data` pseudo-dataset (content-data.ts).
 */

import { CONTENT_COLUMNS } from "./content-columns.js";

type Kind = "date-time" | "integer" | "number" | "string";

export interface KnownDataset {
  /** Attribute ids that together identify a row; empty when no columns do (names are never used). */
  key: string[];
  /** Why the key is what it is. */
  source: string;
  /** Types of attributes known not to be text (others are text). */
  types: Record<string, Kind>;
}

export const KNOWN_DATASETS: Record<string, KnownDataset> = {
  content_data: {
    key: ["receipt_id"],
    source: "[openapi] receipt_id: \"ID for this receipt\", one per delivery of a message to a user",
    types: Object.fromEntries(CONTENT_COLUMNS.filter((column) => column.time).map((column) => [column.id, "date-time" as const])),
  },
  conversation: {
    key: ["conversation_id"],
    source: "[metrics] one row per conversation",
    types: { conversation_started_at: "date-time", teammate_replies_count: "integer", first_response_time: "integer" },
  },
  consolidated_conversation_part: {
    key: ["conversation_id", "action_id"],
    source: "[clients] one row per conversation action, identified by standard.action_id within its conversation",
    types: { action_time: "date-time", conversation_started_at: "date-time" },
  },
  conversation_sla_status_log: {
    key: ["conversation_id", "sla_name", "sla_metric_type", "sla_started_at"],
    source: "[clients] one row per SLA metric applied to a conversation; no id column, the SLA, metric and start tell rows apart",
    types: { sla_started_at: "date-time" },
  },
  conversation_state: {
    key: ["conversation_id", "conversation_state_started_at", "conversation_state"],
    source: "[clients] one row per period a conversation spent in a state; no id column",
    types: { conversation_state_started_at: "date-time", conversation_state_ended_at: "date-time", time_in_state: "integer" },
  },
  conversation_rating_sent: {
    key: ["conversation_id"],
    source: "[clients] one rating per conversation; a new rating updates conversation_rating_updated_at",
    types: { conversation_rating: "integer", conversation_rating_updated_at: "date-time" },
  },
  call: {
    key: ["call_id"],
    source: "[clients] one row per call (used as the ground truth for call counts)",
    types: { call_initiated_at: "date-time", call_talk_time: "integer" },
  },
  tickets_report: {
    key: ["ticket_id"],
    source: "[clients] dext/tap-intercom: one row per ticket, time attribute ticket_created_at",
    types: { ticket_created_at: "date-time" },
  },
  call_team_stats: {
    key: [],
    source: "[clients] one row per call and team; call_team_id holds the team NAME, so no column set is a safe key",
    types: { call_initiated_at: "date-time", call_answer_time: "integer", call_queue_time: "integer", call_talk_time: "integer" },
  },
  call_teammate_stats: {
    key: [],
    source: "[clients] one row per call and teammate; call_teammate_id holds the teammate NAME",
    types: { call_initiated_at: "date-time", call_teammate_missed_call_count: "integer", call_teammate_declined_call_count: "integer" },
  },
  teammate_handling_conversation: {
    key: [],
    source: "[clients] one row per conversation and handling teammate (a NAME)",
    types: { conversation_started_at: "date-time", handling_time: "integer" },
  },
  admin_status_change: {
    key: [],
    source: "[clients] one row per teammate status period; the teammate column holds a NAME",
    types: { teammate_status_period_started_at: "date-time", teammate_status_period_ended_at: "date-time" },
  },
};
