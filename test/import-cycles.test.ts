import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { REPO_ROOT } from "./helpers.js";

const SOURCE_DIRS = ["singer/src", "tap-intercom/src", "target-duckdb/src", "fixtures/src"];
/** Every folder of TypeScript in the project: sources, tests, benchmarks, scripts and schemas' types. */
const PROJECT_DIRS = [...SOURCE_DIRS, "singer/test", "tap-intercom/test", "target-duckdb/test", "fixtures/test", "schemas", "bench", "scripts", "test"];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return Promise.resolve(entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : []);
    }),
  );
  return nested.flat();
}

/** The relative .ts imports of each source file (type-only imports included: they tie modules together too). */
async function importGraph(): Promise<Map<string, string[]>> {
  const files = (await Promise.all(PROJECT_DIRS.map((dir) => sourceFiles(join(REPO_ROOT, dir))))).flat();
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const imported = ts.preProcessFile(await readFile(file, "utf8"), true, true).importedFiles.map((f) => f.fileName);
    const targets = imported.filter((name) => name.startsWith(".")).map((name) => resolve(dirname(file), name).replace(/\.js$/, ".ts"));
    graph.set(file, targets.filter((target) => files.includes(target)));
  }
  return graph;
}

/** Every import cycle, each as the list of files it goes through (depth-first search, one report per cycle start). */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe("source layout", () => {
  it("has no import circles between modules anywhere in the project (sources, tests, benchmarks, scripts)", async () => {
    const found = cycles(await importGraph()).map((cycle) => cycle.map((file) => relative(REPO_ROOT, file)).join(" -> "));
    assert.deepEqual(found, []);
  });

  it("throws no bare Error in src: a named class says the kind (config, input, HTTP, load, internal); `make lint` checks it too", async () => {
    const bare: string[] = [];
    for (const file of (await Promise.all(SOURCE_DIRS.map((dir) => sourceFiles(join(REPO_ROOT, dir))))).flat()) {
      const source = ts.createSourceFile(file, await readFile(file, "utf8"), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === "Error") {
          bare.push(`${relative(REPO_ROOT, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    assert.deepEqual(bare, []);
  });
});
