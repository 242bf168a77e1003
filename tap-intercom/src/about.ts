import { packageVersion, type About } from "../../singer/src/index.js";
import { settingsSchema } from "./settings.js";

export const about: About = {
  name: "tap-intercom",
  description: "Singer tap for Intercom: every REST stream (incremental, rate-limit aware, concurrent) and the Reporting Data Export datasets.",
  version: packageVersion,
  capabilities: ["catalog", "discover", "state", "about", "test"],
  settings: settingsSchema,
};
