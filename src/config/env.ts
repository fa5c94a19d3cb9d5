import { z } from "zod";

const onOff = z
  .enum(["on", "off", "true", "false", "1", "0"])
  .transform((v) => v === "on" || v === "true" || v === "1");

const positiveInt = z.coerce.number().int().positive();

/** Every environment variable brief-bot reads, with its default. `.env.example` documents each. */
export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  /** Public base URL of this server, used for status_url links. Defaults to http://localhost:PORT. */
  PUBLIC_URL: z.url().optional(),
  /** Shared secret that route briefs must carry. Required. */
  BRIEF_SECRET: z.string().min(8, "BRIEF_SECRET must be at least 8 characters"),
  /** Largest accepted request body, in bytes. */
  BRIEF_MAX_BYTES: positiveInt.default(25 * 1024 * 1024),
  /** Jobs run at once by this process. */
  BRIEF_CONCURRENCY: positiveInt.default(4),
  /** Where the SQLite store and local repositories live. */
  DATA_DIR: z.string().default("./data"),
  /** How long a running job's lease lasts before another runner may take it over (ms). */
  JOB_LEASE_MS: positiveInt.default(30_000),
  /** Attempts for a job that fails with a retryable error. */
  JOB_MAX_ATTEMPTS: positiveInt.default(5),
  /** Deadline for a round, from the request to the notification (ms). The course spec allows 10 minutes. */
  BRIEF_DEADLINE_MS: positiveInt.default(10 * 60_000),

  /** Where route briefs' repositories go: an organization (GitHub App) or a user/org (token mode). */
  BRIEF_OWNER: z.string().optional(),
  /** `github` or `local`; by default github when credentials are set, else local. */
  FORGE: z.enum(["github", "local"]).optional(),
  APP_ID: z.string().optional(),
  PRIVATE_KEY: z.string().optional(),
  PRIVATE_KEY_PATH: z.string().optional(),
  WEBHOOK_SECRET: z.string().optional(),
  WEBHOOK_PATH: z.string().default("/api/github/webhooks"),
  WEBHOOK_PROXY_URL: z.url().optional(),
  GITHUB_TOKEN: z.string().optional(),
  GHE_HOST: z.string().optional(),
  GHE_PROTOCOL: z.enum(["http", "https"]).default("https"),
  REPO_VISIBILITY: z.enum(["public", "private"]).default("public"),
  /** `auto` merges route briefs' revision pull requests; `manual` leaves them for review. */
  REVISION_MERGE: z.enum(["auto", "manual"]).default("auto"),
  /** How often to poll Pages at first (ms); doubles up to 30 s. */
  PAGES_POLL_MS: positiveInt.default(5_000),

  /** `openai` (any OpenAI-compatible endpoint) or `offline` (the template generator). */
  LLM_PROVIDER: z.enum(["openai", "offline"]).optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.url().optional(),
  LLM_MODEL: z.string().default("gpt-4o-mini"),
  LLM_VISION: onOff.default(false),
  LLM_TIMEOUT_MS: positiveInt.default(180_000),
  /** Prices in USD per million tokens, `input:output`, e.g. `0.15:0.60`. */
  LLM_PRICE_PER_MTOK: z
    .string()
    .regex(/^\d+(\.\d+)?:\d+(\.\d+)?$/, "LLM_PRICE_PER_MTOK must look like 0.15:0.60")
    .default("0.15:0.60"),
  BRIEF_MAX_COST_USD: z.coerce.number().positive().default(1),

  CHROMIUM_PATH: z.string().optional(),
  VERIFY: onOff.default(true),
  /** Ask the model to judge natural-language checks from the page's text and a screenshot (needs a model). */
  VERIFY_JUDGE: onOff.default(false),
  VERIFY_MAX_REPAIRS: z.coerce.number().int().min(0).default(2),
  VERIFY_CHECK_TIMEOUT_MS: positiveInt.default(5_000),

  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment; throws a ConfigError whose message names the first bad variable. */
export function parseEnv(raw: NodeJS.ProcessEnv): Env {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? "environment");
    const message = issue.code === "invalid_type" && cleaned[name] === undefined ? `${name} is required` : `${name}: ${issue.message}`;
    throw new ConfigError(message);
  }
  const env = result.data;
  if (env.FORGE === "github" && !hasAppCredentials(env) && !env.GITHUB_TOKEN) {
    throw new ConfigError("FORGE=github needs APP_ID with PRIVATE_KEY (or PRIVATE_KEY_PATH), or GITHUB_TOKEN");
  }
  if (env.APP_ID && !env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH) {
    throw new ConfigError("APP_ID is set but PRIVATE_KEY (or PRIVATE_KEY_PATH) is missing");
  }
  if (env.LLM_PROVIDER === "openai" && !env.OPENAI_API_KEY) {
    throw new ConfigError("LLM_PROVIDER=openai needs OPENAI_API_KEY");
  }
  return env;
}

export function hasAppCredentials(env: Env): boolean {
  return Boolean(env.APP_ID && (env.PRIVATE_KEY || env.PRIVATE_KEY_PATH));
}

/** The forge chosen: explicit FORGE, else github when credentials exist, else local. */
export function forgeKind(env: Env): "github-app" | "github-token" | "local" {
  if (env.FORGE === "local") return "local";
  if (hasAppCredentials(env)) return "github-app";
  if (env.GITHUB_TOKEN) return "github-token";
  return "local";
}

export function modelKind(env: Env): "openai" | "offline" {
  if (env.LLM_PROVIDER) return env.LLM_PROVIDER;
  return env.OPENAI_API_KEY ? "openai" : "offline";
}
