import assert from "node:assert/strict";
import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { About } from "../singer/src/about.js";
import { aboutJson, ROOT, type ExecutableName } from "../scripts/lib/about-output.js";
import { hubDefinitionErrors, projectPluginErrors, type PluginType } from "../scripts/lib/hub-schema.js";
import { meltanoSettingsFromAbout } from "../scripts/lib/meltano-settings.js";
import { parse as parseYaml } from "yaml";
import { HUB_FILES, lockFileOf, meltanoDrift, projectFileProblems, REQUIRES_MELTANO } from "../scripts/meltano-settings.js";
import { meltanoRewrite, pluginEntry } from "./meltano-emulation.js";

type Doc = Record<string, unknown>;

async function readYaml(file: string): Promise<Doc> {
  return parseYaml(await readFile(resolve(ROOT, file), "utf8")) as Doc;
}

const validHub = (): Doc => ({
  name: "tap-x",
  variant: "someone",
  namespace: "tap_x",
  label: "X",
  quality: "silver",
  capabilities: ["catalog", "discover", "state"],
  settings: [{ name: "token", kind: "string", sensitive: true }],
});

describe("Meltano Hub definition rules (scripts/lib/hub-schema.ts)", () => {
  it("accepts a minimal valid definition", () => {
    assert.deepEqual(hubDefinitionErrors("extractors", validHub()), []);
  });

  const cases: Array<[string, (doc: Doc) => void, PluginType, RegExp]> = [
    ["a missing required field", (d) => delete d["quality"], "extractors", /must have required property 'quality'/],
    ["an unknown top-level key", (d) => (d["pipurl"] = "x"), "extractors", /unknown key "pipurl"/],
    ["an extractor capability on a loader", (d) => (d["capabilities"] = ["discover"]), "loaders", /capabilities\/0: must be one of/],
    ["both catalog and properties", (d) => (d["capabilities"] = ["catalog", "properties"]), "extractors", /not both/],
    ["an unknown setting kind", (d) => (d["settings"] = [{ name: "a", kind: "text" }]), "extractors", /settings\/0\/kind: must be one of/],
    ["an unknown setting key", (d) => (d["settings"] = [{ name: "a", secret: true }]), "extractors", /unknown key "secret"/],
    ["kind options without options", (d) => (d["settings"] = [{ name: "a", kind: "options" }]), "extractors", /required property 'options'/],
    ["a duplicate setting", (d) => (d["settings"] = [{ name: "a" }, { name: "a" }]), "extractors", /duplicate setting "a"/],
    ["group validation naming an undeclared setting", (d) => (d["settings_group_validation"] = [["b"]]), "extractors", /"b" is not a declared setting/],
    ["an unknown quality", (d) => (d["quality"] = "platinum"), "extractors", /quality: must be one of/],
  ];
  for (const [what, mutate, type, message] of cases) {
    it(`rejects ${what}`, () => {
      const doc = validHub();
      mutate(doc);
      const errors = hubDefinitionErrors(type, doc);
      assert.ok(errors.some((e) => message.test(e)), errors.join("\n"));
    });
  }
});

describe("Meltano plugin files", () => {
  const abouts = new Map<ExecutableName, About>();
  before(async () => {
    abouts.set("tap-intercom", await aboutJson("tap-intercom"));
    abouts.set("target-duckdb", await aboutJson("target-duckdb"));
  });

  for (const { file, type } of HUB_FILES) {
    it(`${file} is a valid Hub ${type.slice(0, -1)} definition`, async () => {
      assert.deepEqual(hubDefinitionErrors(type, await readYaml(file)), []);
    });
  }

  it("meltano.yml names each plugin's variant, whose definition Meltano reads from the lock file, and runs the built executables without installing", async () => {
    const project = await readYaml("meltano.yml");
    assert.equal(project["version"], undefined, "no deprecated version: 1");
    assert.equal(project["requires_meltano"], REQUIRES_MELTANO, "the minimum Meltano version is declared");
    const plugins = project["plugins"] as Record<PluginType, Doc[]>;
    for (const { type, executable: name } of HUB_FILES) {
      const entry = plugins[type].find((p) => p["name"] === name);
      assert.ok(entry, `${name} is declared`);
      assert.deepEqual(projectPluginErrors(type, entry), []);
      const lock = JSON.parse(await readFile(resolve(ROOT, lockFileOf(type, name, String(entry["variant"]))), "utf8")) as Doc;
      assert.equal(lock["pip_url"], undefined, "no pip_url: nothing for Meltano to install");
      assert.equal(lock["requires_meltano"], REQUIRES_MELTANO);
      const executable = String(entry["executable"]);
      assert.ok(executable.includes("/"), "a path with '/' is resolved from the project root");
      await access(resolve(ROOT, executable), constants.X_OK);
    }
    const tap = JSON.parse(await readFile(resolve(ROOT, lockFileOf("extractors", "tap-intercom", "intercom-singer")), "utf8")) as Doc;
    for (const capability of ["catalog", "discover", "state"]) assert.ok((tap["capabilities"] as string[]).includes(capability));
    const token = (tap["settings"] as Doc[]).find((s) => s["name"] === "access_token");
    assert.equal(token?.["sensitive"], true);
    const loader = JSON.parse(await readFile(resolve(ROOT, lockFileOf("loaders", "target-duckdb", "intercom-singer")), "utf8")) as Doc;
    assert.equal((loader["settings"] as Doc[]).find((s) => s["name"] === "token")?.["sensitive"], true, "the MotherDuck token is sensitive");
    const extractor = plugins.extractors.find((p) => p["name"] === "tap-intercom") as Doc;
    assert.equal((extractor["config"] as Doc | undefined)?.["access_token"], undefined, "no secret in meltano.yml");
  });

  it("the Hub files and the lock files have exactly the capabilities and settings of --about", async () => {
    for (const { file, type, executable: name } of HUB_FILES) {
      const hub = await readYaml(file);
      const lock = JSON.parse(await readFile(resolve(ROOT, lockFileOf(type, name, String(hub["variant"]))), "utf8")) as Doc;
      for (const [where, entry] of [[file, hub], ["lock file", lock]] as const) {
        const about = abouts.get(name) as About;
        assert.deepEqual(entry["capabilities"], about.capabilities, `${where}: capabilities of ${name}`);
        const expected = meltanoSettingsFromAbout(about);
        assert.deepEqual(
          (entry["settings"] as Doc[]).map((s) => s["name"]),
          expected.map((s) => s.name),
          `${where}: setting names of ${name}`,
        );
        assert.deepEqual(entry["settings"], expected, `${where}: settings of ${name} (run \`make meltano\`)`);
      }
    }
  });

  it("nothing generated is stale, and meltano.yml defines no plugin inline (`make meltano`)", async () => {
    assert.deepEqual(await meltanoDrift(ROOT, abouts), []);
  });

  it("meltano.yml as Meltano rewrites it on `meltano config set` still passes; a meltano.yml with inlined definitions fails", async () => {
    const original = await readFile(resolve(ROOT, "meltano.yml"), "utf8");
    const rewritten = meltanoRewrite(original, (project) => pluginEntry(project, "extractors", "tap-intercom").config = { start_date: "2024-01-01T00:00:00Z" });
    assert.notEqual(rewritten, original, "Meltano re-serializes the file");
    assert.deepEqual(projectFileProblems(rewritten), []);
    // The layout this repository had before: definitions inlined between comment markers, which
    // Meltano's rewrite re-indents and strips of its markers.
    const inlined = meltanoRewrite(original, (project) => {
      const tap = pluginEntry(project, "extractors", "tap-intercom");
      tap["namespace"] = "tap_intercom";
      tap["settings"] = meltanoSettingsFromAbout(abouts.get("tap-intercom") as About);
      tap["capabilities"] = (abouts.get("tap-intercom") as About).capabilities;
    });
    const problems = projectFileProblems(inlined);
    for (const key of ["namespace", "settings", "capabilities"]) assert.ok(problems.some((p) => p.includes(`unknown key "${key}"`)), problems.join("\n"));
  });
});
