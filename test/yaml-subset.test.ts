import assert from "node:assert/strict";
import { parseYamlSubset } from "../scripts/lib/yaml-subset.js";

describe("YAML subset reader", () => {
  it("reads nested mappings, sequences of mappings and typed scalars", () => {
    const doc = [
      "---",
      "# a comment",
      "version: 1",
      "project_id: 0a1b-2c",
      "plugins:",
      "  extractors:",
      "    - name: tap-intercom   # trailing comment",
      "      namespace: tap_intercom",
      "      capabilities: [catalog, discover, \"state\"]",
      "      settings:",
      "      - name: access_token",
      "        sensitive: true",
      "        value: null",
      "      - name: page_size",
      "        kind: integer",
      "        value: 150",
      "      - name: ratio",
      "        value: -1.5e3",
      "      config: {}",
      "  loaders: []",
      "quoted: 'it''s # not a comment'",
      "escaped: \"tab\\tand \\\"quote\\\"\"",
      "url: https://api.intercom.io/x#y",
      "date: 2024-01-01T00:00:00Z",
      "empty:",
      "list:",
      "- a",
      "-",
      "  b: 2",
      "last: ~",
    ].join("\n");
    assert.deepEqual(parseYamlSubset(doc), {
      version: 1,
      project_id: "0a1b-2c",
      plugins: {
        extractors: [
          {
            name: "tap-intercom",
            namespace: "tap_intercom",
            capabilities: ["catalog", "discover", "state"],
            settings: [
              { name: "access_token", sensitive: true, value: null },
              { name: "page_size", kind: "integer", value: 150 },
              { name: "ratio", value: -1500 },
            ],
            config: {},
          },
        ],
        loaders: [],
      },
      quoted: "it's # not a comment",
      escaped: 'tab\tand "quote"',
      url: "https://api.intercom.io/x#y",
      date: "2024-01-01T00:00:00Z",
      empty: null,
      list: ["a", { b: 2 }],
      last: null,
    });
  });

  it("reads a top-level sequence and CRLF line endings", () => {
    assert.deepEqual(parseYamlSubset("- 1\r\n- two\r\n- [x, 'y, z']\r\n"), [1, "two", ["x", "y, z"]]);
  });

  const rejected: Array<[string, string, RegExp]> = [
    ["a block scalar", "a: |\n  text\n", /line 1: unsupported YAML syntax/],
    ["an anchor", "a: &x 1\n", /line 1: unsupported YAML syntax/],
    ["a flow mapping", "a: {b: 1}\n", /line 1: unsupported YAML syntax/],
    ["a multi-line flow sequence", "a: [1,\n  2]\n", /line 1: flow sequences must be on one line/],
    ["a duplicate key", "a: 1\nb: 2\na: 3\n", /line 3: duplicate key "a"/],
    ["a tab in indentation", "a:\n\tb: 1\n", /line 2: tab in indentation/],
    ["a stray indented line", "a: 1\n   b: 2\n", /line 2: unexpected indentation/],
    ["a mapping after a top-level sequence", "- 1\nb: 2\n", /line 2: unexpected content/],
    ["an unquoted colon in a value", "a: b: c\n", /line 1: a plain scalar may not contain/],
    ["a second document", "a: 1\n---\nb: 2\n", /line 2: only one document/],
    ["a nested flow sequence", "a: [[1]]\n", /line 1: nested flow collections/],
  ];
  for (const [what, source, message] of rejected) {
    it(`rejects ${what} with its line number`, () => {
      assert.throws(() => parseYamlSubset(source), message);
    });
  }
});
