/** Quoting for names that come from data (stream and property names); values always go in as parameters. */

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal, for the few places DuckDB needs a constant (json_transform's structure). */
export function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}
