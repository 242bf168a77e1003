import packageJson from "../../package.json" with { type: "json" };
import type { Logger } from "./logger.js";

/**
 * Runs a CLI's main function: an error is reported on stderr as one clear line (secrets redacted,
 * stack only with LOG_LEVEL=debug) and the process exits non-zero.
 */
export function runMain(main: () => Promise<void>, logger: Logger): void {
  main().then(
    () => {
      process.exitCode = process.exitCode ?? 0;
    },
    (error: unknown) => {
      logger.error(error instanceof Error ? error.message : String(error));
      if (process.env["LOG_LEVEL"]?.toLowerCase() === "debug" && error instanceof Error && error.stack) logger.debug(error.stack);
      process.exitCode = 1;
    },
  );
}

/** The package version, from package.json. */
export const packageVersion: string = packageJson.version;
