import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "../src/config/env.js";
import { createLogger } from "../src/log/logger.js";
import { createBriefBot, type BriefBot } from "../src/create-brief-bot.js";
import { SkippedVerifier } from "../src/verify/skipped-verifier.js";
import { findChromium } from "../src/verify/find-chromium.js";
import { submitAndFollow, type CliIo } from "../src/cli/brief-bot.js";
import { loadBriefFile, type BriefStatusJson } from "../src/cli/submit-brief.js";
import { localPath } from "../src/cli/progress-display.js";

/**
 * `npm run demo`: the whole job on this machine with no credentials. Starts brief-bot in-process (local git
 * forge, offline template writer, Chromium when there is one), runs round 1 and round 2 of the example
 * brief, checks what came out, and says where to look.
 */

const DEMO_TIMEOUT_MS = 3 * 60_000;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ROUND_1 = join(ROOT, "examples", "sales-summary.json");
const ROUND_2 = join(ROOT, "examples", "sales-summary-round2.json");
/** What the round-1 commit must hold: the licence, the README, the app and the attachment. */
const ROUND_1_FILES = ["LICENSE", "README.md", "index.html", "data.csv"];

class DemoError extends Error {
  override name = "DemoError";
}

async function main(): Promise<number> {
  const startedAt = Date.now();
  const signal = AbortSignal.timeout(DEMO_TIMEOUT_MS);
  // A last resort if shutting down itself hangs after the deadline.
  setTimeout(() => {
    process.stderr.write("demo: still running 15 s after the 3-minute limit; exiting\n");
    process.exit(1);
  }, DEMO_TIMEOUT_MS + 15_000).unref();

  const dataDir = mkdtempSync(join(tmpdir(), "brief-bot-demo-"));
  const secret = randomBytes(18).toString("base64url");
  const env = parseEnv({
    BRIEF_SECRET: secret,
    DATA_DIR: dataDir,
    FORGE: "local",
    LLM_PROVIDER: "offline",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "warn",
    CHROMIUM_PATH: process.env.CHROMIUM_PATH,
    VERIFY: process.env.VERIFY,
  });
  // Warnings go to stderr so they do not interleave with the progress lines.
  const log = createLogger({ level: "warn", destination: process.stderr });
  const bot = createBriefBot(env, log);
  let url: string;
  try {
    url = await bot.listen(0, "127.0.0.1");
  } catch (error) {
    await bot.close().catch(() => undefined);
    throw error;
  }

  const out = (text = "") => process.stdout.write(`${text}\n`);
  out("brief-bot demo: a brief becomes a published app, with no GitHub account and no model key.");
  out(`  server     ${url} (in this process, stopped at the end)`);
  out(`  data       ${dataDir} (SQLite store and git repositories)`);
  out("  forge      local git repositories; Pages served by the server itself");
  out("  writer     offline template (deterministic; set OPENAI_API_KEY to use a model)");
  out(`  verifier   ${env.VERIFY ? describeVerifier(bot) : "off (VERIFY=off): checks are reported as skipped"}`);

  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, signal };
  try {
    out();
    out(`Round 1: ${relative(ROOT, ROUND_1)}`);
    const first = await runRound(url, ROUND_1, secret, io);
    const repoPath = localPath(first.repo_url);
    if (!repoPath) throw new DemoError(`round 1 gave no local repository (repo_url: ${first.repo_url ?? "none"})`);
    const files = committedFiles(repoPath, first.commit_sha);
    const missing = ROUND_1_FILES.filter((f) => !files.includes(f));
    if (missing.length > 0) throw new DemoError(`the round-1 commit lacks ${missing.join(", ")} (it holds ${files.join(", ")})`);
    out(`  files        ${files.join(", ")} (one commit)`);

    out();
    out(`Round 2: ${relative(ROOT, ROUND_2)} (a pull request on the same repository, merged automatically)`);
    const second = await runRound(url, ROUND_2, secret, io);
    if (!second.pr_url) throw new DemoError("round 2 opened no pull request");
    const pageUrl = second.pages_url ?? first.pages_url;
    if (!pageUrl) throw new DemoError("no page URL was published");
    const page = await fetch(pageUrl, { signal });
    const html = await page.text();
    if (page.status !== 200) throw new DemoError(`the page ${pageUrl} answered ${page.status}, not 200`);
    if (!html.includes('id="product-sales"')) throw new DemoError(`the page ${pageUrl} does not show round 2's #product-sales yet`);
    out(`  page check   ${pageUrl} answers 200 and shows round 2's #product-sales`);

    out();
    out(`Demo finished in ${((Date.now() - startedAt) / 1000).toFixed(1)}s: round 1 published, round 2 merged.`);
    out("Look at the result:");
    out(`  git clone ${repoPath} && git -C sales-summary-demo log --oneline`);
    out("Serve it again (this demo's server has stopped) and open the page:");
    out(`  FORGE=local DATA_DIR=${dataDir} BRIEF_SECRET=<8+ characters> npm run dev`);
    out(`  open ${new URL(new URL(pageUrl).pathname, "http://localhost:3000").href}`);
    out("Send your own brief to that server:");
    out("  BRIEF_SECRET=<the same> npm run submit -- examples/markdown-to-html.json --follow");
    return 0;
  } catch (error) {
    if (signal.aborted) throw new DemoError(`the demo took more than ${DEMO_TIMEOUT_MS / 60_000} minutes and was stopped`);
    throw error;
  } finally {
    await bot.close();
  }
}

/** Submits one example with the demo's secret, follows it, and insists that it succeeded with passing JS checks. */
async function runRound(url: string, file: string, secret: string, io: CliIo): Promise<BriefStatusJson> {
  const { body } = await loadBriefFile(file, secret);
  const { code, status } = await submitAndFollow({ url, body, secret, follow: true, json: false, io });
  if (!status) throw new DemoError(`${relative(ROOT, file)}: no status after following the job`);
  if (code !== 0) throw new DemoError(`${relative(ROOT, file)}: the job ended ${status.state}${status.error ? `: ${status.error}` : ""}`);
  const runs = [["before committing", status.verification?.local], ["on the live page", status.verification?.live]] as const;
  for (const [where, run] of runs) {
    const failing = (run?.checks ?? []).filter((c) => c.outcome === "fail" || c.outcome === "error");
    if (failing.length > 0) {
      throw new DemoError(`${relative(ROOT, file)}: ${failing.length} check(s) failed (${where}): ${failing.map((c) => c.check).join("; ")}`);
    }
  }
  return status;
}

function committedFiles(repoPath: string, sha: string | null): string[] {
  const output = execFileSync("git", ["--git-dir", repoPath, "ls-tree", "-r", "--name-only", sha ?? "HEAD"], { encoding: "utf8" });
  return output.split("\n").filter(Boolean);
}

function describeVerifier(bot: BriefBot): string {
  if (bot.deps.verifier instanceof SkippedVerifier) return "none: no Chromium found, so checks are reported as skipped (set CHROMIUM_PATH)";
  let path: string | null = null;
  try {
    path = findChromium(process.env.CHROMIUM_PATH);
  } catch {
    // createBriefBot already accepted the browser; the path is only for display
  }
  return `Chromium${path ? ` (${path})` : ""}, runs the brief's JavaScript checks`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof DemoError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`\ndemo failed: ${message}\n`);
    process.exit(1);
  },
);
