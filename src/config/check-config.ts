import { pathToFileURL } from "node:url";
import { ConfigError, forgeKind, hasAppCredentials, modelKind, parseEnv, type Env } from "./env.js";
import { createTokenOctokit, gitHubBaseUrl } from "../forge/github/github-auth.js";
import { findChromium } from "../verify/find-chromium.js";

type Line = { ok: boolean | null; text: string };

function gitHubProblem(error: unknown, what: string): string {
  const status = (error as { status?: number }).status;
  if (typeof status === "number") return `GitHub answered ${status} for ${what}`;
  return `GitHub is unreachable (${(error as Error).message}): check the network, or GHE_HOST for GitHub Enterprise`;
}

/** Shows enough of a secret to recognise it, never enough to use it. */
export function mask(value: string | undefined): string {
  if (!value) return "(not set)";
  if (value.length <= 8) return "****";
  return `${value.slice(0, 4)}…${value.slice(-2)} (${value.length} chars)`;
}

/**
 * `npm run check-config` (seed 000's check_config): parses the environment, reaches GitHub with the app's
 * credentials or the token and the LLM endpoint, and prints masked values and what to fix.
 */
export async function checkConfig(raw: NodeJS.ProcessEnv, fetchImpl: typeof fetch = fetch): Promise<{ ok: boolean; lines: Line[] }> {
  const lines: Line[] = [];
  let env: Env;
  try {
    env = parseEnv(raw);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { ok: false, lines: [{ ok: false, text: `${error.message} (see .env.example)` }] };
  }
  lines.push({ ok: true, text: `BRIEF_SECRET ${mask(env.BRIEF_SECRET)}` });
  lines.push({ ok: null, text: `DATA_DIR ${env.DATA_DIR}, BRIEF_CONCURRENCY ${env.BRIEF_CONCURRENCY}` });

  const forge = forgeKind(env);
  lines.push({ ok: null, text: `forge: ${forge}` });
  if (forge === "github-app") {
    lines.push({ ok: null, text: `APP_ID ${env.APP_ID}, PRIVATE_KEY ${env.PRIVATE_KEY ? mask(env.PRIVATE_KEY) : `from ${env.PRIVATE_KEY_PATH}`}` });
    try {
      const { Probot } = await import("probot");
      const { readFileSync } = await import("node:fs");
      const key = env.PRIVATE_KEY ?? readFileSync(env.PRIVATE_KEY_PATH!, "utf8");
      const probot = new Probot({ appId: env.APP_ID!, privateKey: key.replace(/\\n/g, "\n"), baseUrl: gitHubBaseUrl(env), logLevel: "fatal" });
      const octokit = await probot.auth();
      const { data } = await octokit.rest.apps.getAuthenticated();
      lines.push({ ok: true, text: `GitHub App "${data?.name}" authenticated` });
      if (env.BRIEF_OWNER) {
        try {
          await octokit.rest.apps.getOrgInstallation({ org: env.BRIEF_OWNER });
          lines.push({ ok: true, text: `installed on the organization ${env.BRIEF_OWNER}` });
        } catch {
          lines.push({ ok: false, text: `not installed on the organization ${env.BRIEF_OWNER}: install the app there (a GitHub App can create repositories only in organizations)` });
        }
      } else {
        lines.push({ ok: false, text: "BRIEF_OWNER is not set: route briefs need an organization to own their repositories" });
      }
    } catch (error) {
      lines.push({ ok: false, text: gitHubProblem(error, "the app credentials: check APP_ID and PRIVATE_KEY") });
    }
  } else if (forge === "github-token") {
    lines.push({ ok: null, text: `GITHUB_TOKEN ${mask(env.GITHUB_TOKEN)}` });
    try {
      const { data } = await createTokenOctokit(env.GITHUB_TOKEN!, gitHubBaseUrl(env)).rest.users.getAuthenticated();
      lines.push({ ok: true, text: `token belongs to ${data.login}` });
      if (!env.BRIEF_OWNER) lines.push({ ok: false, text: `BRIEF_OWNER is not set: set it to ${data.login} or an organization` });
    } catch (error) {
      lines.push({ ok: false, text: gitHubProblem(error, "GITHUB_TOKEN: create a token with the repo and workflow scopes") });
    }
  } else {
    lines.push({ ok: null, text: "no GitHub credentials: the local forge keeps repositories under DATA_DIR/repos (set APP_ID + PRIVATE_KEY, or GITHUB_TOKEN, for GitHub)" });
  }
  if (hasAppCredentials(env) && !env.WEBHOOK_SECRET) lines.push({ ok: false, text: "WEBHOOK_SECRET is not set: issue briefs need it to verify webhook deliveries" });

  if (modelKind(env) === "offline") {
    lines.push({ ok: null, text: "model: offline template generator (set OPENAI_API_KEY for a real model)" });
  } else {
    const base = (env.OPENAI_BASE_URL ?? "https://api.openai.com/v1").replace(/\/$/, "");
    lines.push({ ok: null, text: `model: ${env.LLM_MODEL} at ${base}, OPENAI_API_KEY ${mask(env.OPENAI_API_KEY)}` });
    try {
      const res = await fetchImpl(`${base}/models`, { headers: { authorization: `Bearer ${env.OPENAI_API_KEY}` } });
      lines.push(res.ok ? { ok: true, text: "LLM endpoint answered" } : { ok: false, text: `LLM endpoint answered ${res.status}: check OPENAI_API_KEY and OPENAI_BASE_URL` });
    } catch (error) {
      lines.push({ ok: false, text: `LLM endpoint unreachable (${(error as Error).message}): check OPENAI_BASE_URL` });
    }
  }
  try {
    const chromium = findChromium(env.CHROMIUM_PATH);
    lines.push(chromium ? { ok: true, text: `browser for verification: ${chromium}` } : { ok: null, text: "no browser found: verification is skipped (install chromium or set CHROMIUM_PATH)" });
  } catch (error) {
    lines.push({ ok: false, text: (error as Error).message });
  }
  return { ok: lines.every((l) => l.ok !== false), lines };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { ok, lines } = await checkConfig(process.env);
  for (const line of lines) console.log(`${line.ok === true ? "✓" : line.ok === false ? "✗" : "·"} ${line.text}`);
  console.log(ok ? "\nConfiguration looks good." : "\nFix the lines marked ✗, then run npm run check-config again.");
  process.exit(ok ? 0 : 1);
}
