import assert from "node:assert/strict";
import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { About } from "../singer/src/about.js";
import { aboutJson, ROOT, type ExecutableName } from "../scripts/lib/about-output.js";
import { hubDefinitionErrors, projectPluginErrors, type PluginType } from "../scripts/lib/hub-schema.js";
import { meltanoSettingsFromAbout } from "../scripts/lib/meltano-settings.js";
import { parse as parseYaml } from "yaml";
import { MELTANO_FILES, regenerate } from "../scripts/meltano-settings.js";

type Doc = Record<string, unknown>;

async function readYaml(file: string): Promise<Doc> {
  return parseYaml(await readFile(resolve(ROOT, file), "utf8")) as Doc;
}

const HUB_FILES: Array<{ file: string; type: PluginType; executable: ExecutableName }> = [
  { file: "meltano/extractors/tap-intercom--intercom-singer.yml", type: "extractors", executable: "tap-intercom" },
  { file: "meltano/loaders/target-duckdb--intercom-singer.yml", type: "loaders", executable: "target-duckdb" },
];

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

  it("meltano.yml declares both executables as custom plugins Meltano can run without installing", async () => {
    const project = await readYaml("meltano.yml");
    assert.equal(project["version"], 1);
    const plugins = project["plugins"] as Record<PluginType, Doc[]>;
    for (const [type, name] of [["extractors", "tap-intercom"], ["loaders", "target-duckdb"]] as const) {
      const entry = plugins[type].find((p) => p["name"] === name);
      assert.ok(entry, `${name} is declared`);
      assert.deepEqual(projectPluginErrors(type, entry), []);
      assert.equal(entry["pip_url"], undefined, "no pip_url: nothing for Meltano to install");
      const executable = String(entry["executable"]);
      assert.ok(executable.includes("/"), "a path with '/' is resolved from the project root");
      await access(resolve(ROOT, executable), constants.X_OK);
    }
    const tap = plugins.extractors.find((p) => p["name"] === "tap-intercom") as Doc;
    for (const capability of ["catalog", "discover", "state"]) assert.ok((tap["capabilities"] as string[]).includes(capability));
    const token = (tap["settings"] as Doc[]).find((s) => s["name"] === "access_token");
    assert.equal(token?.["sensitive"], true);
    assert.equal((tap["config"] as Doc | undefined)?.["access_token"], undefined, "no secret in meltano.yml");
  });

  it("meltano.yml and the Hub files have exactly the capabilities and settings of --about", async () => {
    const project = await readYaml("meltano.yml");
    const plugins = project["plugins"] as Record<PluginType, Doc[]>;
    const entries: Array<[string, ExecutableName, Doc]> = [
      ["meltano.yml", "tap-intercom", plugins.extractors.find((p) => p["name"] === "tap-intercom") as Doc],
      ["meltano.yml", "target-duckdb", plugins.loaders.find((p) => p["name"] === "target-duckdb") as Doc],
      ...(await Promise.all(HUB_FILES.map(async ({ file, executable }) => [file, executable, await readYaml(file)] as [string, ExecutableName, Doc]))),
    ];
    for (const [file, name, entry] of entries) {
      const about = abouts.get(name) as About;
      assert.deepEqual(entry["capabilities"], about.capabilities, `${file}: capabilities of ${name}`);
      const expected = meltanoSettingsFromAbout(about);
      assert.deepEqual(
        (entry["settings"] as Doc[]).map((s) => s["name"]),
        expected.map((s) => s.name),
        `${file}: setting names of ${name}`,
      );
      assert.deepEqual(entry["settings"], expected, `${file}: settings of ${name} (run \`make meltano\`)`);
    }
  });

  it("the generated blocks are up to date (`make meltano`)", async () => {
    for (const file of MELTANO_FILES) {
      const text = await readFile(resolve(ROOT, file), "utf8");
      assert.equal(regenerate(text, abouts), text, `${file} is stale: run \`make meltano\``);
    }
  });
});
