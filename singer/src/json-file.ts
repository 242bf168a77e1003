import { readFile } from "node:fs/promises";
import { ConfigError } from "./errors.js";

/** Reads and parses a JSON file, with errors that name the file and what it was for. */
export async function readJsonFile(path: string, role: string): Promise<unknown> {
  const text = (await readText(path, role, false)) as string;
  return parseJsonText(text, path, role);
}

/** Like readJsonFile, but a file that does not exist yet reads as `undefined`. */
export async function readJsonFileIfExists(path: string, role: string): Promise<unknown> {
  const text = await readText(path, role, true);
  return text === undefined ? undefined : parseJsonText(text, path, role);
}

/** The file's text; undefined when it does not exist and `missingIsUndefined`. */
async function readText(path: string, role: string, missingIsUndefined: boolean): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && missingIsUndefined) return undefined;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code ?? (error as Error).message;
    throw new ConfigError(`cannot read ${role} file ${path}: ${why}`);
  }
}

/** What each kind of file must hold, for the error that says it does not. */
const ACCEPTED_FORM: Record<string, string> = {
  config: 'a JSON object of settings, such as {"access_token": "…", "start_date": "2024-01-01T00:00:00Z"}',
  state: 'a JSON object such as {"bookmarks": {…}}, as the target printed it',
  catalog: 'a JSON object with a "streams" array, as --discover prints it',
};

/**
 * A file that is not JSON is reported by line and column only: the parser's own message quotes
 * the text around the fault, which in a config file is often the token itself.
 */
function parseJsonText(text: string, path: string, role: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = errorOffset(text, message);
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - before.lastIndexOf("\n");
    throw new ConfigError(
      `${role} file ${path} is not valid JSON: ${faultOf(message)} at line ${line}, column ${column}. ` +
        `It must hold ${ACCEPTED_FORM[role] ?? "JSON"}: strings in double quotes, no comments, no trailing commas. ` +
        "(The file's text is not shown: it may hold secrets.)",
    );
  }
}

/** The parser's complaint without the text it quotes. */
function faultOf(message: string): string {
  if (/^Unexpected end of JSON input/.test(message)) return "the file ends before the JSON value does";
  if (/^Unexpected non-whitespace character after JSON/.test(message)) return "more text after the JSON value";
  const fault = message.replace(/ in JSON at position \d+.*$/s, "");
  if (fault === message || /^Unexpected token/.test(fault) || /["…]/.test(fault)) return "unexpected character";
  return fault.charAt(0).toLowerCase() + fault.slice(1);
}

/** Where JSON.parse stopped (a character offset into `text`), given its error message. */
function errorOffset(text: string, message: string): number {
  const at = /at position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  if (/^Unexpected end of JSON input/.test(message)) return text.length;
  // "Unexpected token 'x', …" names no position: find the shortest start of the text that already fails.
  let parses = 0;
  let fails = text.length;
  while (fails - parses > 1) {
    const middle = Math.floor((parses + fails) / 2);
    if (failsBeforeItsEnd(text.slice(0, middle))) fails = middle;
    else parses = middle;
  }
  return fails - 1;
}

/** Whether a start of a JSON text already holds a fault (rather than merely ending too soon). */
function failsBeforeItsEnd(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (error) {
    const message = (error as Error).message;
    if (/^Unexpected end of JSON input/.test(message)) return false;
    const at = /at position (\d+)/.exec(message);
    return at ? Number(at[1]) < prefix.length : true;
  }
}

/** Merges config files in order; later files win key by key. */
export async function readConfigFiles(paths: string[]): Promise<Record<string, unknown>> {
  let merged: Record<string, unknown> = {};
  for (const path of paths) {
    const value = await readJsonFile(path, "config");
    if (value === null) continue;
    if (typeof value !== "object" || Array.isArray(value)) throw new ConfigError(`config file ${path} must hold a JSON object`);
    merged = { ...merged, ...(value as Record<string, unknown>) };
  }
  return merged;
}
