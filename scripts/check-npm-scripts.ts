/**
 * Fails when an npm script or bin of package.json names a file that does not exist, so a
 * renamed script cannot leave `npm run <name>` pointing at nothing. Run by `make lint` after
 * the build (script targets under dist/ exist only then). Usage: check-npm-scripts [package.json]
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

interface PackageJson {
  scripts?: Record<string, string>;
  bin?: Record<string, string> | string;
}

/** The file operands of `node <file>` in a script's command (options and commands other than node are not files). */
export function nodeTargets(command: string): string[] {
  const words = command.split(/\s+/);
  const targets: string[] = [];
  words.forEach((word, index) => {
    if (word !== "node" && !word.endsWith("/node")) return;
    const operand = words.slice(index + 1).find((next) => !next.startsWith("-"));
    if (operand) targets.push(operand);
  });
  return targets;
}

/** Each missing file as "<field> <name>: <path> does not exist". */
export async function missingTargets(packageJsonPath: string): Promise<string[]> {
  const root = dirname(packageJsonPath);
  const pkg = JSON.parse(await readFile(packageJsonPath, "utf8")) as PackageJson;
  const bins = typeof pkg.bin === "string" ? { bin: pkg.bin } : (pkg.bin ?? {});
  const wanted = [
    ...Object.entries(pkg.scripts ?? {}).flatMap(([name, command]) => nodeTargets(command).map((path) => ({ where: `scripts.${name}`, path }))),
    ...Object.entries(bins).map(([name, path]) => ({ where: `bin.${name}`, path })),
  ];
  return wanted.filter(({ path }) => !existsSync(resolve(root, path))).map(({ where, path }) => `${where}: ${path} does not exist`);
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const packageJson = resolve(process.argv[2] ?? "package.json");
  const missing = await missingTargets(packageJson);
  for (const line of missing) process.stderr.write(`${packageJson}: ${line}\n`);
  process.exitCode = missing.length > 0 ? 1 : 0;
}
