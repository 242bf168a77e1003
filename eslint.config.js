import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "schemas/types/**", ".meltano/**", "output/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // An error a caller or a user can act on has a named class (ConfigError, SingerInputError, LoadError,
    // IntercomHttpError, InternalError, …), so its kind is known without reading its text.
    files: ["singer/src/**/*.ts", "tap-intercom/src/**/*.ts", "target-duckdb/src/**/*.ts", "fixtures/src/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "NewExpression[callee.name='Error']", message: "throw a named error class (see singer/src/errors.ts), not a bare Error" },
        { selector: "CallExpression[callee.name='Error']", message: "throw a named error class (see singer/src/errors.ts), not a bare Error" },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
