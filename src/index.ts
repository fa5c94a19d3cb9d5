import { ConfigError, parseEnv } from "./config/env.js";
import { createLogger } from "./log/logger.js";
import { createBriefBot } from "./create-brief-bot.js";
import { issueWebhooks } from "./issues/issue-webhooks.js";

/** Starts brief-bot: parses the environment (one line naming a bad variable), serves, and stops cleanly. */
async function main(): Promise<void> {
  let env;
  try {
    env = parseEnv(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`brief-bot: ${error.message} (see .env.example)`);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger({ level: env.LOG_LEVEL });
  const bot = createBriefBot(env, log, { webhooks: issueWebhooks });
  await bot.listen();
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, "shutting down; running jobs resume on the next start");
    await bot.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

await main();
