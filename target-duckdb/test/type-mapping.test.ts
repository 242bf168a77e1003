import assert from "node:assert/strict";
import { columnsForSchema, columnTypeOf, evolveColumnType } from "../src/type-mapping.js";

describe("target-duckdb type mapping", () => {
  it("reads nullable unions in any order, with type arrays, anyOf and oneOf", () => {
    assert.equal(columnTypeOf({ type: ["null", "integer"] }), "BIGINT");
    assert.equal(columnTypeOf({ type: ["integer", "null"] }), "BIGINT");
    assert.equal(columnTypeOf({ anyOf: [{ type: "null" }, { type: "string", format: "date-time" }] }), "TIMESTAMPTZ");
    assert.equal(columnTypeOf({ oneOf: [{ type: "string", format: "date" }, { type: "null" }] }), "DATE");
    assert.equal(columnTypeOf({ type: "string", anyOf: [{ format: "date-time" }, { type: "null" }] }), "TIMESTAMPTZ");
  });

  it("maps other unions to the narrowest type holding every alternative", () => {
    assert.equal(columnTypeOf({ type: ["integer", "number"] }), "DOUBLE");
    assert.equal(columnTypeOf({ anyOf: [{ type: "string", format: "date" }, { type: "string", format: "date-time" }] }), "TIMESTAMPTZ");
    assert.equal(columnTypeOf({ type: ["boolean", "string"] }), "VARCHAR");
    assert.equal(columnTypeOf({ type: ["string", "array"] }), "JSON");
  });

  it("widens existing columns without loss and never changes a text column", () => {
    assert.equal(evolveColumnType("BIGINT", "DOUBLE"), "DOUBLE");
    assert.equal(evolveColumnType("DOUBLE", "BIGINT"), "DOUBLE");
    assert.equal(evolveColumnType("DATE", "TIMESTAMPTZ"), "TIMESTAMPTZ");
    assert.equal(evolveColumnType("TIMESTAMPTZ", "DATE"), "TIMESTAMPTZ");
    assert.equal(evolveColumnType("BOOLEAN", "BIGINT"), "VARCHAR");
    assert.equal(evolveColumnType("BIGINT", "JSON"), "JSON");
    assert.equal(evolveColumnType("VARCHAR", "JSON"), "VARCHAR");
    assert.equal(evolveColumnType("VARCHAR", "BIGINT"), "VARCHAR");
  });

  it("flattens nested objects up to the level, never key properties", () => {
    const schema = {
      properties: {
        id: { type: "object", properties: { a: { type: "string" } } },
        n: { type: ["null", "object"], properties: { b: { type: "integer" }, c: { type: "object", properties: { d: { type: "boolean" } } } } },
      },
    };
    assert.deepEqual(
      columnsForSchema(schema, 2, ["id"]).map((c) => [c.name, c.type]),
      [
        ["id", "JSON"],
        ["n__b", "BIGINT"],
        ["n__c__d", "BOOLEAN"],
      ],
    );
    assert.deepEqual(
      columnsForSchema(schema, 0).map((c) => c.name),
      ["id", "n"],
    );
  });
});
