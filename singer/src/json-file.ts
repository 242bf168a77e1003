import { access, readFile } from "node:fs/promises";
import { ConfigError } from "./errors.js";

/** Reads and parses a JSON file, with errors that name the file and what it was for. */
export async function readJsonFile(path: string, role: string): Promise<unknown> {
  const text = await readText(path, role);
  return parseJsonText(text, path, role);
}

/** Like readJsonFile, but a file that does not exist yet reads as `undefined`. */
export async function readJsonFileIfExists(path: string, role: string): Promise<unknown> {
  try {
    await access(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  }
  return readJsonFile(path, role);
}

async function readText(path: string, role: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code ?? (error as Error).message;
    throw new ConfigError(`cannot read ${role} file ${path}: ${why}`);
  }
}

function parseJsonText(text: string, path: string, role: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${role} file ${path} is not valid JSON: ${(error as Error).message}`);
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
