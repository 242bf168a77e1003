/**
 * Names that appear twice in one JSON object. JSON.parse keeps the last value and DuckDB's JSON
 * reader the first, so such a message would be validated on one value and stored with another.
 */

/**
 * Colons after a `"` (and optional whitespace): one per name of an object, plus any inside strings
 * that happen to hold `":`. Jumping from colon to colon is cheaper than scanning for quotes.
 */
function countNameLike(text: string): number {
  let count = 0;
  for (let colon = text.indexOf(":"); colon !== -1; colon = text.indexOf(":", colon + 1)) {
    let before = colon - 1;
    let code = text.charCodeAt(before);
    while (code === 0x20 || code === 0x09 || code === 0x0d) code = text.charCodeAt(--before);
    if (code === 0x22) count += 1;
  }
  return count;
}

/** The names of every object in a parsed value. */
function countNames(value: unknown): number {
  let count = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null) count += countNames(item);
    }
    return count;
  }
  for (const name in value as Record<string, unknown>) {
    count += 1;
    const item = (value as Record<string, unknown>)[name];
    if (typeof item === "object" && item !== null) count += countNames(item);
  }
  return count;
}

/**
 * The path to the first name that repeats within its object (the repeated name last), or
 * undefined. `text` must be valid JSON and `parsed` its JSON.parse result. The usual case costs
 * a pass over the text's colons and one walk of `parsed`: when the text holds no more name-like
 * colons than `parsed` holds names, no name repeats; only otherwise is the text scanned exactly.
 */
export function duplicateNamePath(text: string, parsed: unknown): string[] | undefined {
  if (typeof parsed !== "object" || parsed === null) return undefined;
  if (countNameLike(text) === countNames(parsed)) return undefined;
  return firstRepeatedName(text);
}

interface Frame {
  /** Names seen so far, for an object; undefined for an array. */
  names: Set<string> | undefined;
  /** The member being read: its name (object) or index (array). */
  at: string;
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** Index of the quote closing the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

function firstRepeatedName(text: string): string[] | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (code === 0x22) {
      const end = stringEnd(text, i);
      let next = end + 1;
      while (isWhitespace(text.charCodeAt(next))) next += 1;
      if (top?.names && text.charCodeAt(next) === 0x3a) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.names.has(name)) return [...stack.slice(0, -1).map((frame) => frame.at), name];
        top.names.add(name);
        top.at = name;
        i = next;
      } else {
        i = end;
      }
    } else if (code === 0x7b) {
      stack.push({ names: new Set(), at: "" });
    } else if (code === 0x5b) {
      stack.push({ names: undefined, at: "0" });
    } else if (code === 0x7d || code === 0x5d) {
      stack.pop();
    } else if (code === 0x2c && top && !top.names) {
      top.at = String(Number(top.at) + 1);
    }
  }
  return undefined;
}
