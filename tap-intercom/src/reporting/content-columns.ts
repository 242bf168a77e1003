/**
 * The columns of the content data export's CSV, `data_export_csv` (2.14 yaml:19491-19585), its
 * descriptions shortened: the one list of them, for the `content_data` stream's attributes
 * (content-data.ts) and its time columns' type (known-datasets.ts).
 */
export interface ContentColumn {
  id: string;
  name: string;
  /** A time (received_at and every first_* engagement): typed date-time. */
  time?: true;
}

export const CONTENT_COLUMNS: readonly ContentColumn[] = [
  { id: "user_id", name: "The user_id of the user who was sent the message" },
  { id: "user_external_id", name: "The external_user_id of the user who was sent the message" },
  { id: "company_id", name: "The user's company in relation to the message; -1 when none" },
  { id: "email", name: "The email of the user who was sent the message" },
  { id: "name", name: "The full name of the user receiving the message" },
  { id: "ruleset_id", name: "The id of the message" },
  { id: "content_id", name: "The specific content received; each version of an A/B test has its own" },
  { id: "content_type", name: "Email, Chat, Post etc." },
  { id: "content_title", name: "The title of the content in the Intercom workspace" },
  { id: "ruleset_version_id", name: "The version of the content that was received" },
  { id: "receipt_id", name: "The id of this receipt (one delivery of a message)" },
  { id: "received_at", name: "When the receipt was recorded", time: true },
  { id: "series_id", name: "The series the content is part of; -1 when none" },
  { id: "series_title", name: "The title of that series" },
  { id: "node_id", name: "The series node (block) of this ruleset" },
  { id: "first_reply", name: "First reply, within the export's date range", time: true },
  { id: "first_completion", name: "First completion (tours, surveys), within the export's date range", time: true },
  { id: "first_series_completion", name: "First completion of the series, within the export's date range", time: true },
  { id: "first_series_disengagement", name: "First disengagement from the series, within the export's date range", time: true },
  { id: "first_series_exit", name: "First exit from the series, within the export's date range", time: true },
  { id: "first_goal_success", name: "First time the message's goal was met, within the export's date range", time: true },
  { id: "first_open", name: "First open, within the export's date range", time: true },
  { id: "first_click", name: "First click on a link in the message, within the export's date range", time: true },
  { id: "first_dismisall", name: "First dismissal, within the export's date range (the column's name is spelled so)", time: true },
  { id: "first_unsubscribe", name: "First unsubscribe, within the export's date range", time: true },
  { id: "first_hard_bounce", name: "First hard bounce, within the export's date range", time: true },
];
