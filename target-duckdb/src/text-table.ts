/** Rows as an aligned text table, for people at a terminal (numbers right-aligned). */
export function textTable(headers: string[], rows: unknown[][]): string[] {
  const cells = rows.map((row) => row.map((value) => (value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value))));
  const numeric = headers.map((_, i) => cells.length > 0 && cells.every((row) => row[i] === "" || /^-?\d+(\.\d+)?$/.test(row[i] ?? "")));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...cells.map(line)];
}
