import { packageVersion, type About } from "../../singer/src/index.js";
import { ENV_PREFIX, settingsSchema } from "./settings.js";

export const about: About = {
  name: "tap-intercom",
  description:
    "Singer tap for Intercom: every REST stream (incremental, rate-limit aware, concurrent) and the Reporting Data Export datasets. " +
    `Settings come from --config files (later files win), then ${ENV_PREFIX}<SETTING> environment variables (e.g. ${ENV_PREFIX}START_DATE), which take precedence; an unknown setting is an error.`,
  version: packageVersion,
  capabilities: ["catalog", "discover", "state", "about", "test", "activate-version", "batch"],
  settings: settingsSchema,
};
