import type { Server } from "node:http";
import { join, resolve } from "node:path";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { Probot, createNodeMiddleware, type ApplicationFunction } from "probot";
import type { Env } from "./config/env.js";
import { ConfigError, forgeKind, hasAppCredentials, modelKind } from "./config/env.js";
import type { Brief } from "./intake/brief-schema.js";
import { createBriefRoute } from "./intake/brief-route.js";
import { createHttpServer } from "./http/create-http-server.js";
import { createBriefStatusRoute } from "./http/brief-status-route.js";
import { createHealthRoute } from "./http/health-route.js";
import type { RouteHandler } from "./http/route-handler.js";
import { BriefStore } from "./store/brief-store.js";
import { EmbeddedQueue } from "./queue/embedded-queue.js";
import type { JobQueue } from "./queue/job-queue.js";
import type { Forge } from "./forge/forge.js";
import { LocalForge } from "./forge/local/local-forge.js";
import { createLocalPagesHandler } from "./forge/local/serve-local-pages.js";
import { ForgeOctokit, createGitHubForgeFactory, gitHubBaseUrl } from "./forge/github/github-auth.js";
import type { AppWriter } from "./model/app-writer.js";
import { OpenAIWriter } from "./model/openai-writer.js";
import { OfflineWriter } from "./model/offline-writer.js";
import { parsePrice } from "./model/cost.js";
import type { Verifier } from "./verify/verifier.js";
import { ChromiumVerifier } from "./verify/chromium-verifier.js";
import { SkippedVerifier } from "./verify/skipped-verifier.js";
import { findChromium } from "./verify/find-chromium.js";
import { ModelJudge } from "./verify/model-judge.js";
import { createSafeFetch, type FetchLike } from "./net/safe-fetch.js";
import { realClock, type Clock, type PipelineDeps, type StatusReporter } from "./pipeline/pipeline-deps.js";
import { createBriefProcessor } from "./pipeline/process-brief.js";
import { createIssueStatusReporter } from "./issues/issue-status-reporter.js";
import { createIssueAttachmentFetcher } from "./issues/issue-attachment-fetcher.js";

/** Parts a test (or another host) may replace; everything else is built from the environment. */
export interface BriefBotOverrides {
  log: Logger;
  store: BriefStore;
  queue: JobQueue;
  forgeFor: (brief: Brief) => Promise<Forge>;
  writer: AppWriter;
  verifier: Verifier;
  fetch: FetchLike;
  clock: Clock;
  reporters: StatusReporter[];
  /** Probot app function for webhooks (the issues channel); receives the pipeline deps. */
  webhooks: (deps: PipelineDeps, queue: JobQueue) => ApplicationFunction;
  probot: Probot;
  /** Allow brief URLs (attachments, evaluation_url) on private addresses: local demos and loopback tests. */
  allowPrivateUrls: boolean;
}

export interface BriefBot {
  server: Server;
  store: BriefStore;
  queue: JobQueue;
  deps: PipelineDeps;
  /** Listens, then starts the queue; resolves with the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** The composition root's work: builds the real adapters (or takes overrides) and wires them together. */
export function createBriefBot(env: Env, log: Logger, overrides: Partial<BriefBotOverrides> = {}): BriefBot {
  const dataDir = resolve(env.DATA_DIR);
  const store = overrides.store ?? new BriefStore(join(dataDir, "brief-bot.sqlite"));
  const queue = overrides.queue ?? new EmbeddedQueue(store, log.child({ component: "queue" }), {
    concurrency: env.BRIEF_CONCURRENCY,
    leaseMs: env.JOB_LEASE_MS,
    maxAttempts: env.JOB_MAX_ATTEMPTS,
  });
  let publicUrl = env.PUBLIC_URL?.replace(/\/$/, "") ?? `http://localhost:${env.PORT}`;

  const kind = forgeKind(env);
  const probot = overrides.probot ?? (hasAppCredentials(env) ? createProbot(env, log) : null);
  let localForge: LocalForge | null = null;
  let forgeFor = overrides.forgeFor;
  if (!forgeFor) {
    if (kind === "local") {
      // Built when the server listens: its Pages URLs need the port.
      forgeFor = async () => {
        if (!localForge) throw new Error("the local forge starts when the server listens");
        return localForge;
      };
    } else {
      const factory = createGitHubForgeFactory({
        credentials: kind === "github-app" ? { mode: "app", app: probot! } : { mode: "token", token: env.GITHUB_TOKEN!, baseUrl: gitHubBaseUrl(env), octokit: { log } },
      });
      forgeFor = (brief) => factory(brief.owner ?? env.BRIEF_OWNER ?? "");
    }
  }

  const writer = overrides.writer ?? createWriter(env, log);
  const verifier = overrides.verifier ?? createVerifier(env, log);
  const allowPrivate = overrides.allowPrivateUrls ?? kind === "local";
  const safeFetch = overrides.fetch ?? createSafeFetch({ allowPrivate });
  const auth = (installationId: number) => probot!.auth(installationId);
  const deps: PipelineDeps = {
    store,
    forgeFor,
    writer,
    verifier,
    reporters: overrides.reporters ?? (probot ? [createIssueStatusReporter({ auth, store, log: log.child({ component: "issue-status" }) })] : []),
    fetch: safeFetch,
    ...(probot ? { fetchAttachment: createIssueAttachmentFetcher({ auth, fallback: safeFetch, maxBytes: env.BRIEF_MAX_BYTES }) } : {}),
    clock: overrides.clock ?? realClock,
    settings: {
      defaultOwner: env.BRIEF_OWNER ?? (kind === "local" ? "local" : null),
      maxCostUsd: env.BRIEF_MAX_COST_USD,
      maxRepairs: env.VERIFY_MAX_REPAIRS,
      deadlineMs: env.BRIEF_DEADLINE_MS,
      visibility: env.REPO_VISIBILITY,
      revisionMerge: env.REVISION_MERGE,
      pagesPollMs: kind === "local" ? Math.min(env.PAGES_POLL_MS, 200) : env.PAGES_POLL_MS,
      maxAttachmentBytes: env.BRIEF_MAX_BYTES,
    },
    log,
  };

  const handlers: RouteHandler[] = [];
  if (probot && overrides.webhooks) {
    const middleware = createNodeMiddleware(overrides.webhooks(deps, queue), { probot, webhooksPath: env.WEBHOOK_PATH });
    handlers.push(async (req, res) => Boolean(await (await middleware)(req, res)));
  }
  handlers.push(
    createBriefRoute({ store, queue, secret: env.BRIEF_SECRET, maxBytes: env.BRIEF_MAX_BYTES, owner: env.BRIEF_OWNER ?? null, get publicUrl() { return publicUrl; }, log }),
    createBriefStatusRoute({ store, secret: env.BRIEF_SECRET }),
    createHealthRoute({
      store: () => ({ ok: store.db.prepare("SELECT 1 AS ok").get() !== undefined, kind: "sqlite", path: store.db.name }),
      queue: () => queue.health(),
      forge: overrides.forgeFor ? "custom" : kind,
      model: { kind: writer.kind, model: writer.model, configured: writer.kind === "openai" },
      verifier: verifier instanceof SkippedVerifier ? "skipped: no browser found (set CHROMIUM_PATH)" : verifier.constructor.name,
    }),
  );
  if (kind === "local" && !overrides.forgeFor) {
    let pages: RouteHandler | null = null;
    handlers.push((req, res) => {
      if (!localForge) return false;
      pages ??= createLocalPagesHandler(localForge);
      return pages(req, res);
    });
  }
  const server = createHttpServer(handlers, log);

  return {
    server,
    store,
    queue,
    deps,
    async listen(port = env.PORT, host = env.HOST) {
      await new Promise<void>((ok, fail) => server.once("error", fail).listen(port, host, () => ok()));
      const address = server.address() as AddressInfo;
      if (!env.PUBLIC_URL) publicUrl = `http://localhost:${address.port}`;
      if (kind === "local" && !overrides.forgeFor) {
        localForge = new LocalForge({ root: join(dataDir, "repos"), pagesBaseUrl: `${publicUrl}/pages` });
      }
      queue.start(createBriefProcessor(deps));
      log.info({ url: publicUrl, forge: kind, model: writer.kind }, "brief-bot is listening");
      return publicUrl;
    },
    async close() {
      await new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections();
      await queue.stop();
      await verifier.close();
      store.close();
    },
  };
}

function createProbot(env: Env, log: Logger): Probot {
  const privateKey = env.PRIVATE_KEY ?? readFileSync(env.PRIVATE_KEY_PATH!, "utf8");
  return new Probot({
    appId: env.APP_ID!,
    privateKey: privateKey.includes("-----BEGIN") ? privateKey.replace(/\\n/g, "\n") : Buffer.from(privateKey, "base64").toString("utf8"),
    secret: env.WEBHOOK_SECRET ?? "development",
    log: log.child({ component: "probot" }),
    baseUrl: gitHubBaseUrl(env),
    Octokit: ForgeOctokit,
  });
}

function createWriter(env: Env, log: Logger): AppWriter {
  if (modelKind(env) === "offline") return new OfflineWriter();
  return new OpenAIWriter({
    apiKey: env.OPENAI_API_KEY!,
    ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
    model: env.LLM_MODEL,
    vision: env.LLM_VISION,
    timeoutMs: env.LLM_TIMEOUT_MS,
    price: parsePrice(env.LLM_PRICE_PER_MTOK),
    log: log.child({ component: "model" }),
  });
}

function createVerifier(env: Env, log: Logger): Verifier {
  if (!env.VERIFY) return new SkippedVerifier("verification is off (VERIFY=off)");
  let executablePath: string | null;
  try {
    executablePath = findChromium(env.CHROMIUM_PATH);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  if (!executablePath) return new SkippedVerifier();
  const judge =
    env.VERIFY_JUDGE && modelKind(env) === "openai"
      ? new ModelJudge({
          apiKey: env.OPENAI_API_KEY!,
          ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
          model: env.LLM_MODEL,
          vision: env.LLM_VISION,
          price: parsePrice(env.LLM_PRICE_PER_MTOK),
          timeoutMs: env.LLM_TIMEOUT_MS,
        })
      : undefined;
  return new ChromiumVerifier({
    executablePath,
    checkTimeoutMs: env.VERIFY_CHECK_TIMEOUT_MS,
    log: log.child({ component: "verifier" }),
    ...(judge ? { judge } : {}),
  });
}
