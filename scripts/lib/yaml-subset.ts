/**
 * A reader for the small YAML subset our Meltano files are written in (meltano.yml and the Hub
 * plugin definitions). There is no YAML library in the dependencies, and these files need only:
 *
 * - block mappings (`key: value`, `key:` followed by an indented block or a `- ` list at the
 *   same indent) and block sequences (`- value`, `- key: value` starting a mapping item);
 * - scalars: plain (`null`/`~`, `true`/`false`, decimal numbers, otherwise strings),
 *   'single-quoted' and "double-quoted" (JSON escapes);
 * - flow collections of scalars on one line: `[a, "b", 3]`, and the empty `{}` / `[]`;
 * - `#` comments (at line start, or after whitespace outside quotes) and an optional `---`.
 *
 * Anything else (anchors, tags, block scalars, multi-line flow collections, tabs in indentation,
 * duplicate keys) is rejected with the line number, so a file that strays out of the subset
 * fails loudly instead of being misread.
 */

export type YamlValue = null | boolean | number | string | YamlValue[] | { [key: string]: YamlValue };

export class YamlSubsetError extends Error {
  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = "YamlSubsetError";
  }
}

interface Line {
  indent: number;
  text: string;
  number: number;
}

/** Removes a trailing comment: `#` at the start or after whitespace, outside quotes. */
function stripComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quote) {
      if (ch === "\\" && quote === '"') i += 1;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === "#" && (i === 0 || text[i - 1] === " ")) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

function toLines(source: string): Line[] {
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, index) => {
    const number = index + 1;
    const leading = /^[ \t]*/.exec(raw)?.[0] ?? "";
    if (leading.includes("\t") && raw.trim() !== "") throw new YamlSubsetError("tab in indentation", number);
    const text = stripComment(raw.slice(leading.length));
    if (text === "") return;
    if (text === "---" && lines.length === 0) return;
    if (text === "---" || text === "...") throw new YamlSubsetError("only one document is supported", number);
    lines.push({ indent: leading.length, text, number });
  });
  return lines;
}

const NUMBER = /^[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$/;

function parseQuoted(text: string, line: number): string {
  if (text.startsWith('"')) {
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === "string") return value;
    } catch {
      /* reported below */
    }
    throw new YamlSubsetError(`bad double-quoted string ${text}`, line);
  }
  if (!/^'(?:[^']|'')*'$/.test(text)) throw new YamlSubsetError(`bad single-quoted string ${text}`, line);
  return text.slice(1, -1).replace(/''/g, "'");
}

/** Splits the inside of a one-line flow sequence on commas outside quotes. */
function splitFlow(inner: string, line: number): string[] {
  const items: string[] = [];
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < inner.length; i += 1) {
    const ch = inner[i];
    if (quote) {
      if (ch === "\\" && quote === '"') i += 1;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === ",") {
      items.push(inner.slice(start, i).trim());
      start = i + 1;
    } else if ("[]{}".includes(ch ?? "")) {
      throw new YamlSubsetError("nested flow collections are not supported", line);
    }
  }
  if (quote) throw new YamlSubsetError("unterminated quote in flow sequence", line);
  const last = inner.slice(start).trim();
  if (last !== "" || items.length > 0) items.push(last);
  if (items.some((item) => item === "")) throw new YamlSubsetError("empty item in flow sequence", line);
  return items;
}

export function parseScalar(text: string, line: number): YamlValue {
  if (text.startsWith('"') || text.startsWith("'")) return parseQuoted(text, line);
  if (text === "{}") return {};
  if (text.startsWith("[")) {
    if (!text.endsWith("]")) throw new YamlSubsetError("flow sequences must be on one line", line);
    return splitFlow(text.slice(1, -1), line).map((item) => parseScalar(item, line));
  }
  if (/^[{&*!|>%@`]/.test(text)) throw new YamlSubsetError(`unsupported YAML syntax: ${text}`, line);
  if (/:(\s|$)/.test(text)) throw new YamlSubsetError(`a plain scalar may not contain ": " (quote it): ${text}`, line);
  if (text === "null" || text === "~") return null;
  if (text === "true") return true;
  if (text === "false") return false;
  if (NUMBER.test(text)) return Number(text);
  return text;
}

/** Splits `key: rest` (rest may be empty) or returns undefined when the line is not a mapping entry. */
function splitKey(text: string, line: number): { key: string; rest: string } | undefined {
  if (text.startsWith('"') || text.startsWith("'")) {
    const match = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*')\s*:(?:\s+(.*))?$/.exec(text);
    if (!match) return undefined;
    return { key: parseQuoted(match[1] ?? "", line), rest: (match[2] ?? "").trim() };
  }
  const match = /^([^\s#'"[\]{},:][^#:]*?)\s*:(?:\s+(.*))?$/.exec(text);
  if (!match) return undefined;
  return { key: match[1] ?? "", rest: (match[2] ?? "").trim() };
}

class Parser {
  private index = 0;
  constructor(private readonly lines: Line[]) {}

  parseDocument(): YamlValue {
    if (this.lines.length === 0) return null;
    const first = this.lines[0] as Line;
    const value = this.parseBlock(first.indent);
    const extra = this.lines[this.index];
    if (extra) throw new YamlSubsetError(`unexpected content: ${extra.text}`, extra.number);
    return value;
  }

  private peek(): Line | undefined {
    return this.lines[this.index];
  }

  private parseBlock(indent: number): YamlValue {
    const line = this.peek();
    if (!line) return null;
    if (line.text === "-" || line.text.startsWith("- ")) return this.parseSequence(indent);
    return this.parseMapping(indent);
  }

  private parseSequence(indent: number): YamlValue[] {
    const items: YamlValue[] = [];
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      if (!(line.text === "-" || line.text.startsWith("- "))) break;
      const rest = line.text.slice(1).trimStart();
      if (rest === "") {
        this.index += 1;
        const next = this.peek();
        items.push(next && next.indent > indent ? this.parseBlock(next.indent) : null);
        continue;
      }
      const innerIndent = indent + (line.text.length - rest.length);
      if (rest.startsWith("- ") || rest === "-") throw new YamlSubsetError("nested '- - ' items are not supported", line.number);
      if (splitKey(rest, line.number)) {
        // `- key: value` opens a mapping whose keys sit at the column after "- ".
        this.lines[this.index] = { indent: innerIndent, text: rest, number: line.number };
        items.push(this.parseMapping(innerIndent));
      } else {
        this.index += 1;
        items.push(parseScalar(rest, line.number));
      }
    }
    const after = this.peek();
    if (after && after.indent > indent) throw new YamlSubsetError("unexpected indentation", after.number);
    return items;
  }

  private parseMapping(indent: number): { [key: string]: YamlValue } {
    const map: { [key: string]: YamlValue } = {};
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      if (line.text === "-" || line.text.startsWith("- ")) break;
      const entry = splitKey(line.text, line.number);
      if (!entry) throw new YamlSubsetError(`expected "key: value", got ${line.text}`, line.number);
      if (Object.prototype.hasOwnProperty.call(map, entry.key)) throw new YamlSubsetError(`duplicate key "${entry.key}"`, line.number);
      this.index += 1;
      if (entry.rest !== "") {
        map[entry.key] = parseScalar(entry.rest, line.number);
        continue;
      }
      const next = this.peek();
      if (next && next.indent > indent) map[entry.key] = this.parseBlock(next.indent);
      else if (next && next.indent === indent && (next.text === "-" || next.text.startsWith("- "))) map[entry.key] = this.parseSequence(indent);
      else map[entry.key] = null;
    }
    const after = this.peek();
    if (after && after.indent > indent) throw new YamlSubsetError("unexpected indentation", after.number);
    return map;
  }
}

/** Parses a document written in the subset described above. */
export function parseYamlSubset(source: string): YamlValue {
  return new Parser(toLines(source)).parseDocument();
}
