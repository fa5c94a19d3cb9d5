import type { Logger } from "pino";
import { ConfigError, parseEnv, type Env } from "./config/env.js";
import { createLogger } from "./log/logger.js";
import { createBriefBot, type BriefBot } from "./create-brief-bot.js";
import { issueWebhooks } from "./issues/issue-webhooks.js";

/** Parses the environment and builds the app; a configuration problem is one line naming the variable. */
function configure(): { env: Env; log: Logger; bot: BriefBot } {
  try {
    const env = parseEnv(process.env);
    const log = createLogger({ level: env.LOG_LEVEL });
    return { env, log, bot: createBriefBot(env, log, { webhooks: issueWebhooks }) };
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`brief-bot: ${error.message} (see .env.example)`);
      process.exit(1);
    }
    throw error;
  }
}

/** Starts brief-bot: serves, runs jobs, and stops cleanly (running jobs resume on the next start). */
async function main(): Promise<void> {
  const { env, log, bot } = configure();
  const url = await bot.listen();
  const proxy = env.WEBHOOK_PROXY_URL ? await startWebhookProxy(env.WEBHOOK_PROXY_URL, `${url}${env.WEBHOOK_PATH}`, log) : null;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, "shutting down; running jobs resume on the next start");
    await proxy?.stop();
    await bot.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

/** Development: forwards webhooks from a smee.io channel (smee-client is a dev dependency). */
async function startWebhookProxy(source: string, target: string, log: Logger): Promise<{ stop(): Promise<void> }> {
  const { SmeeClient } = await import("smee-client");
  const client = new SmeeClient({ source, target, logger: { info: (m: string) => log.info(m), error: (m: string) => log.error(m) } });
  await client.start();
  log.info({ source }, "forwarding webhooks from the proxy channel");
  return client;
}

await main();
