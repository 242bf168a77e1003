import { readFile } from "node:fs/promises";
import { ConfigError } from "./errors.js";

/** Reads and parses a JSON file, with errors that name the file and what it was for. */
export async function readJsonFile(path: string, role: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read ${role} file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
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
