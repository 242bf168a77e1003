/** The one reading of a date-time setting (start_date, reporting_start_date, …): strict, so a local time or `01/02/2024` is refused, not guessed. */

/** The accepted forms, as error messages describe them. */
export const DATE_TIME_FORM = "an RFC 3339 date-time such as 2024-01-05T00:00:00Z (Z or an offset like +02:00), or a date such as 2024-01-05 (midnight UTC)";
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * Unix seconds of an RFC 3339 / ISO 8601 date-time with a zone, or of a bare date at midnight
 * UTC; undefined for anything else (local times, `01/02/2024`, `Jan 5 2024`, `2024`).
 */
export function parseStrictDateTime(text: string): number | undefined {
  const match = DATE_ONLY.exec(text) ?? DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour = "00", minute = "00", second = "00"] = match;
  const ms = Date.parse(match.length > 4 ? text.replace(" ", "T") : `${text}T00:00:00Z`);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2024-02-30 over into March: the fields must be what was written.
  const check = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)));
  if (check.getUTCMonth() !== Number(month) - 1 || check.getUTCDate() !== Number(day) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 60) {
    return undefined;
  }
  return Math.floor(ms / 1000);
}
