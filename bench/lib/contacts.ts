/** The bench's input: Intercom-shaped contacts (the SCHEMA the tap declares, records like the fixture's), written as Singer messages or bare records. */
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: ["null", type], ...extra });
const dateTime = nullable("string", { format: "date-time" });
const list = (item: Record<string, unknown>) =>
  nullable("object", {
    properties: {
      type: nullable("string"),
      data: nullable("array", { items: item }),
      url: nullable("string"),
      total_count: nullable("integer"),
      has_more: nullable("boolean"),
    },
  });
const ref = { type: "object", properties: { type: { type: "string" }, id: { type: "string" }, url: nullable("string") } };

export const CONTACT_SCHEMA = {
  type: "object",
  properties: {
    type: nullable("string"),
    id: { type: "string" },
    workspace_id: nullable("string"),
    external_id: nullable("string"),
    role: nullable("string"),
    email: nullable("string"),
    phone: nullable("string"),
    name: nullable("string"),
    avatar: nullable("string"),
    owner_id: nullable("integer"),
    social_profiles: list({ type: "object" }),
    has_hard_bounced: nullable("boolean"),
    marked_email_as_spam: nullable("boolean"),
    unsubscribed_from_emails: nullable("boolean"),
    created_at: dateTime,
    updated_at: dateTime,
    signed_up_at: dateTime,
    last_seen_at: dateTime,
    last_replied_at: dateTime,
    last_contacted_at: dateTime,
    last_email_opened_at: dateTime,
    last_email_clicked_at: dateTime,
    language_override: nullable("string"),
    browser: nullable("string"),
    browser_version: nullable("string"),
    browser_language: nullable("string"),
    os: nullable("string"),
    location: nullable("object", {
      properties: {
        type: nullable("string"),
        country: nullable("string"),
        region: nullable("string"),
        city: nullable("string"),
        country_code: nullable("string"),
        continent_code: nullable("string"),
      },
    }),
    android_app_name: nullable("string"),
    android_app_version: nullable("string"),
    ios_app_name: nullable("string"),
    ios_os_version: nullable("string"),
    custom_attributes: nullable("object"),
    tags: list(ref),
    notes: list(ref),
    companies: list(ref),
    opted_out_subscription_types: list(ref),
    utm_campaign: nullable("string"),
    utm_content: nullable("string"),
    utm_medium: nullable("string"),
    utm_source: nullable("string"),
    utm_term: nullable("string"),
    referrer: nullable("string"),
  },
};

export function iso(seconds: number): string {
  return new Date(1_600_000_000_000 + seconds * 1000).toISOString();
}

/** Contact number `i`; a later `revision` of it is the same contact updated (a later updated_at). */
export function contact(i: number, revision = 0): Record<string, unknown> {
  const page = (path: string, data: unknown[]) => ({ type: "list", data, url: `/contacts/${i}/${path}`, total_count: data.length, has_more: false });
  return {
    type: "contact",
    id: `6${String(i).padStart(11, "0")}`,
    workspace_id: "ecahpwf5",
    external_id: i % 3 ? `ext-${i}` : null,
    role: i % 5 ? "user" : "lead",
    email: `person${i}@example.com`,
    phone: i % 2 ? `+1555${String(i).padStart(7, "0")}` : null,
    name: `Person ${i}`,
    avatar: null,
    owner_id: i % 7 ? 1000 + (i % 13) : null,
    social_profiles: { type: "list", data: [] },
    has_hard_bounced: false,
    marked_email_as_spam: i % 97 === 0,
    unsubscribed_from_emails: i % 11 === 0,
    created_at: iso(i),
    updated_at: iso(i * 2 + revision * 86_400),
    signed_up_at: iso(i),
    last_seen_at: i % 4 ? iso(i * 3) : null,
    last_replied_at: null,
    last_contacted_at: iso(i + 50),
    last_email_opened_at: null,
    last_email_clicked_at: null,
    language_override: null,
    browser: "chrome",
    browser_version: "120.0.0",
    browser_language: "en",
    os: "Mac OS X",
    location: { type: "location", country: "Ireland", region: "Dublin", city: "Dublin", country_code: "IRL", continent_code: "EU" },
    android_app_name: null,
    android_app_version: null,
    ios_app_name: null,
    ios_os_version: null,
    custom_attributes: { plan: ["free", "pro", "enterprise"][i % 3], seats: i % 50, paying: i % 2 === 0, score: (i % 1000) / 10, signup_source: "web" },
    tags: page("tags", i % 3 ? [{ type: "tag", id: String(100 + (i % 9)), url: `/tags/${100 + (i % 9)}` }] : []),
    notes: page("notes", []),
    companies: page("companies", [{ type: "company", id: `c${i % 500}`, url: `/companies/c${i % 500}` }]),
    opted_out_subscription_types: page("subscriptions", []),
    utm_campaign: null,
    utm_content: null,
    utm_medium: i % 4 ? "email" : null,
    utm_source: null,
    utm_term: null,
    referrer: "https://example.com/",
  };
}

export async function writeLines(path: string, lines: (i: number) => string | undefined, count: number): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  for (let i = 0; i < count; i++) {
    const line = lines(i);
    if (line !== undefined && !out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

/**
 * Writes `rows` contacts twice: as Singer messages (a SCHEMA, the RECORDs, a STATE every 50,000 and at
 * the end) and as bare records, one per line. Record n is contact `contactOf(n)` at `revision`.
 */
export async function generate(
  dir: string,
  rows: number,
  options: { name?: string; contactOf?: (n: number) => number; revision?: number; singerOnly?: boolean } = {},
): Promise<{ singer: string; records: string }> {
  const name = options.name ?? "contacts";
  const contactOf = options.contactOf ?? ((n: number) => n);
  const revision = options.revision ?? 0;
  const singer = join(dir, `${name}.singer`);
  const records = join(dir, `${name}.ndjson`);
  const extractedAt = new Date().toISOString();
  const state = (n: number) => JSON.stringify({ type: "STATE", value: { bookmarks: { contacts: { updated_at: iso(n * 2) } } } }) + "\n";
  await writeLines(
    singer,
    (i) => {
      if (i === 0) return JSON.stringify({ type: "SCHEMA", stream: "contacts", schema: CONTACT_SCHEMA, key_properties: ["id"] }) + "\n";
      const n = i - 1;
      if (n === rows) return state(n);
      const line = JSON.stringify({ type: "RECORD", stream: "contacts", record: contact(contactOf(n), revision), time_extracted: extractedAt }) + "\n";
      return n % 50_000 === 49_999 ? line + state(n) : line;
    },
    rows + 2,
  );
  if (!options.singerOnly) await writeLines(records, (n) => JSON.stringify(contact(contactOf(n), revision)) + "\n", rows);
  return { singer, records };
}
