import { ConfigError, parseEnv } from "./config/env.js";
import type { Logger } from "pino";
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
