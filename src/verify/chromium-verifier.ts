import { parse as parseJavaScript, type BlockStatement, type Program } from "acorn";
import { chromium, errors, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { Logger } from "pino";
import type { ForgeFile } from "../forge/forge.js";
import type { CheckJudge } from "./model-judge.js";
import type { Usage } from "../model/app-writer.js";
import type { NormalizedCheck } from "../intake/brief-schema.js";
import { describeError, RetryableError } from "../pipeline/errors.js";
import { serveFiles } from "./serve-files.js";
import { staticChecks } from "./static-checks.js";
import type { CheckResult, VerificationReport, Verifier } from "./verifier.js";

export interface ChromiumVerifierOptions {
  executablePath: string;
  /** How long one JavaScript check may run in the page. */
  checkTimeoutMs?: number;
  /** How long the page may take to load. */
  pageTimeoutMs?: number;
  /** Pages checked at the same time (each is a browser context on the shared browser). */
  concurrency?: number;
  log?: Logger;
  /** Decides natural-language checks from the page's text and a screenshot (VERIFY_JUDGE=on). */
  judge?: CheckJudge;
  /** Starts the browser; defaults to launchChromium. */
  launch?: (executablePath: string) => Promise<Browser>;
}

const LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
/** The page counts as settled after this long without a request in flight (a bounded "network idle"). */
const QUIET_MS = 100;
const SETTLE_MAX_MS = 2_000;
/** After a check times out: how long a trivial evaluation may take before the page counts as hung. */
const PROBE_MS = 1_000;

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: LAUNCH_ARGS });
}

/** What inspect returns when the browser died under it (the run says nothing about the app). */
const BROWSER_GONE = Symbol("browser gone");

interface PageRun {
  judgeUsage?: Usage;
  /** True when a check left the page unresponsive. */
  hung?: boolean;
  pageErrors: string[];
  consoleErrors: string[];
  failedRequests: string[];
  checks: CheckResult[];
  blockedHosts: string[];
}

/**
 * Verifies apps in headless Chromium through playwright-core. One browser serves every verification (launched on
 * first use, launched again if it dies); each verification gets its own context, so apps share no storage.
 */
export class ChromiumVerifier implements Verifier {
  private readonly checkTimeoutMs: number;
  private readonly pageTimeoutMs: number;
  private readonly slots: Semaphore;
  private readonly launch: (executablePath: string) => Promise<Browser>;
  private browser: Promise<Browser> | null = null;
  private closed = false;

  constructor(private readonly options: ChromiumVerifierOptions) {
    this.checkTimeoutMs = options.checkTimeoutMs ?? 5_000;
    this.pageTimeoutMs = options.pageTimeoutMs ?? 15_000;
    this.slots = new Semaphore(Math.max(1, options.concurrency ?? 2));
    this.launch = options.launch ?? launchChromium;
  }

  async verifyFiles(files: ForgeFile[], checks: NormalizedCheck[], signal?: AbortSignal): Promise<VerificationReport> {
    const started = performance.now();
    const staticErrors = staticChecks(files);
    const server = await serveFiles(files);
    try {
      const run = await this.run(server.url, checks, true, signal);
      return buildReport(staticErrors, localize(run, server.url), started);
    } finally {
      await server.close();
    }
  }

  async verifyUrl(url: string, checks: NormalizedCheck[], signal?: AbortSignal): Promise<VerificationReport> {
    const started = performance.now();
    return buildReport([], await this.run(url, checks, false, signal), started);
  }

  async close(): Promise<void> {
    this.closed = true;
    const browser = this.browser;
    this.browser = null;
    const open = await browser?.catch(() => null);
    await open?.close();
  }

  /** Checks one page, once more on a fresh browser if the browser died under it. */
  private async run(url: string, checks: NormalizedCheck[], block: boolean, signal?: AbortSignal): Promise<PageRun> {
    const release = await this.slots.acquire();
    try {
      for (let attempt = 1; ; attempt++) {
        signal?.throwIfAborted();
        const browser = await this.connectedBrowser();
        const run = await this.inspect(browser, url, checks, block, signal);
        if (run !== BROWSER_GONE) return run;
        await this.discard(browser);
        if (attempt >= 2) throw new RetryableError("Chromium closed twice while verifying the app; verify again later");
        this.options.log?.warn({ url }, "browser closed during verification; relaunching");
      }
    } finally {
      release();
    }
  }

  /** Forgets a browser that failed under a verification, so the next one launches a fresh one. */
  private async discard(browser: Browser): Promise<void> {
    const current = this.browser;
    if (current && (await current.catch(() => null)) === browser && this.browser === current) this.browser = null;
    await browser.close().catch(() => undefined);
  }

  private async connectedBrowser(): Promise<Browser> {
    if (this.closed) throw new Error("the verifier is closed");
    const current = this.browser;
    if (current) {
      const browser = await current.catch(() => null);
      if (browser?.isConnected()) return browser;
      if (this.browser === current) this.browser = null;
    }
    if (!this.browser) {
      const path = this.options.executablePath;
      const launching = this.launch(path).then(
        (browser) => {
          browser.on("disconnected", () => {
            if (this.browser === launching) this.browser = null;
          });
          this.options.log?.info({ version: browser.version() }, "browser launched");
          return browser;
        },
        (error: unknown) => {
          if (this.browser === launching) this.browser = null;
          throw new Error(`could not start Chromium at ${path}: ${describeError(error)}`, { cause: error });
        },
      );
      this.browser = launching;
    }
    return this.browser;
  }

  private async inspect(
    browser: Browser,
    url: string,
    checks: NormalizedCheck[],
    block: boolean,
    signal?: AbortSignal,
  ): Promise<PageRun | typeof BROWSER_GONE> {
    let context: BrowserContext;
    try {
      context = await browser.newContext({ serviceWorkers: "block" });
    } catch (error) {
      if (!browser.isConnected()) return BROWSER_GONE;
      throw error;
    }
    let aborted: (() => void) | undefined;
    try {
      // An abort rejects at once; closing the context (finally) ends whatever the page is still doing.
      const abort = new Promise<never>((_, reject) => {
        aborted = () => reject(signal?.reason);
        signal?.addEventListener("abort", aborted, { once: true });
        if (signal?.aborted) aborted();
      });
      // An abort after the race is decided is handled by the signal's owner, not here.
      abort.catch(() => undefined);
      let contextClosed = false;
      context.on("close", () => (contextClosed = true));
      const inspection = this.inspectIn(context, url, checks, block);
      inspection.catch(() => undefined);
      let outcome: { run: PageRun; page: Page };
      try {
        outcome = await Promise.race([inspection, abort]);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (contextClosed || !browser.isConnected()) return BROWSER_GONE;
        throw error;
      }
      const { run, page } = outcome;
      // A page that no longer answers (and was not hung by the app) may mean the browser went away under the checks.
      if (!run.hung && !(await responsive(page))) {
        await Promise.race([new Promise((resolve) => context.once("close", resolve)), delay(PROBE_MS)]);
        if (contextClosed || page.isClosed() || !browser.isConnected()) return BROWSER_GONE;
      }
      return run;
    } finally {
      if (aborted) signal?.removeEventListener("abort", aborted);
      await context.close().catch(() => undefined);
    }
  }

  private async inspectIn(context: BrowserContext, url: string, checks: NormalizedCheck[], block: boolean): Promise<{ run: PageRun; page: Page }> {
    const origin = new URL(url).origin;
    const run: PageRun = { pageErrors: [], consoleErrors: [], failedRequests: [], checks: [], blockedHosts: [] };
    // URLs already reported (blocked or failed), so the browser's own "Failed to load resource" lines add nothing.
    const reportedUrls = new Set<string>();
    if (block) {
      // The verifier has no internet (and the app must not call out while checked): only the loopback server answers.
      await context.route(
        (u) => u.origin !== origin,
        (route, request) => {
          const target = new URL(request.url());
          reportedUrls.add(request.url());
          if (!run.blockedHosts.includes(target.host)) run.blockedHosts.push(target.host);
          run.failedRequests.push(`${request.method()} ${request.url()}: blocked (the verifier has no internet)`);
          return route.abort("blockedbyclient");
        },
      );
    }
    const page = await context.newPage();
    let inFlight = 0;
    let lastActivity = performance.now();
    const activity = (delta: number) => {
      inFlight += delta;
      lastActivity = performance.now();
    };
    page.on("request", () => activity(1));
    page.on("requestfinished", () => activity(-1));
    page.on("requestfailed", (request) => {
      activity(-1);
      if (reportedUrls.has(request.url())) return;
      reportedUrls.add(request.url());
      run.failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText ?? "failed"}`);
    });
    page.on("response", (response) => {
      if (response.status() >= 400 && new URL(response.url()).origin === origin) {
        reportedUrls.add(response.url());
        run.failedRequests.push(`${response.request().method()} ${response.url()}: HTTP ${response.status()}`);
      }
    });
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const where = message.location().url;
      if (reportedUrls.has(where) && message.text().startsWith("Failed to load resource")) return;
      run.consoleErrors.push(where ? `${message.text()} (${where}:${message.location().lineNumber + 1})` : message.text());
    });
    page.on("pageerror", (error) => run.pageErrors.push(describePageError(error)));

    try {
      await page.goto(url, { waitUntil: "load", timeout: this.pageTimeoutMs });
    } catch (error) {
      // A load that timed out leaves a page not worth probing; other failures may be the browser going away.
      if (error instanceof errors.TimeoutError) run.hung = true;
      const why = `the page did not load: ${describeError(error)}`;
      run.pageErrors.push(why);
      run.checks = checks.map((c) => (c.kind === "js" ? { check: c.text, kind: "js", outcome: "error", message: why } : skippedText(c.text)));
      return { run: markNeedsNetwork(run), page };
    }
    await settle(() => inFlight, () => lastActivity);

    let hung: string | null = null;
    const verdicts = await this.judgeTextChecks(page, checks, run);
    for (const check of checks) {
      if (check.kind === "text") run.checks.push(verdicts.get(check.text) ?? skippedText(check.text));
      else if (hung) run.checks.push({ check: check.text, kind: "js", outcome: "error", message: hung });
      else {
        const { timedOut, ...result } = await this.evaluateCheck(page, check.code);
        run.checks.push({ check: check.text, kind: "js", ...result });
        if (timedOut && !(await responsive(page))) {
          hung = "not run: the page stopped responding (a script never finished)";
          run.hung = true;
        }
      }
    }
    return { run: markNeedsNetwork(run), page };
  }

  /** Natural-language checks go to the model judge, when there is one, with the page's text and a screenshot. */
  private async judgeTextChecks(page: Page, checks: NormalizedCheck[], run: PageRun): Promise<Map<string, CheckResult>> {
    const verdicts = new Map<string, CheckResult>();
    const texts = checks.filter((c) => c.kind === "text").map((c) => c.text);
    if (!this.options.judge || texts.length === 0) return verdicts;
    try {
      const pageText = await page.locator("body").innerText({ timeout: this.checkTimeoutMs }).catch(() => "");
      const screenshot = await page.screenshot({ type: "png", timeout: this.checkTimeoutMs }).catch(() => null);
      const { verdicts: answers, usage } = await this.options.judge.judge({ pageText, screenshot, checks: texts });
      run.judgeUsage = usage;
      texts.forEach((text, i) => {
        const v = answers[i]!;
        verdicts.set(text, { check: text, kind: "text", outcome: v.pass ? "pass" : "fail", message: v.reason });
      });
    } catch (error) {
      this.options.log?.warn({ err: error }, "the model judge failed; natural-language checks are not judged");
      for (const text of texts) verdicts.set(text, { check: text, kind: "text", outcome: "skipped", message: `not judged: ${describeError(error)}` });
    }
    return verdicts;
  }

  private async evaluateCheck(page: Page, code: string): Promise<Pick<CheckResult, "outcome" | "message"> & { timedOut?: boolean }> {
    const compiled = compileCheck(code);
    if ("error" in compiled) return { outcome: "error", message: `the check is not valid JavaScript: ${compiled.error}` };
    const evaluation = page.evaluate<EvaluationResult>(compiled.source);
    // The evaluation may outlive its timeout; its late rejection (the context closing) is expected.
    evaluation.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), this.checkTimeoutMs)));
    try {
      const result = await Promise.race([evaluation, timeout]);
      if (result === "timeout") return { outcome: "error", message: `timed out after ${this.checkTimeoutMs} ms`, timedOut: true };
      if ("thrown" in result) return { outcome: "error", message: result.thrown };
      return result.ok ? { outcome: "pass" } : { outcome: "fail", message: `returned ${result.shown}` };
    } catch (error) {
      return { outcome: "error", message: describeError(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

type EvaluationResult = { ok: boolean; shown: string } | { thrown: string };

/**
 * Turns a check into an expression for page.evaluate. A check is an expression (`document.title === "x"`) or
 * statements whose last expression is the result; both may use `await`. A check that evaluates to a function
 * (`() => ...`) is called. Evaluated through the DevTools protocol, so the page's CSP does not stop it.
 */
function compileCheck(code: string): { source: string } | { error: string } {
  let body: string;
  if (isOneExpression(`(async () => (\n${code}\n))`)) body = `(\n${code}\n)`;
  else {
    const wrapped = `(async () => {\n${code}\n})`;
    let block: BlockStatement | null;
    try {
      block = functionBlock(parseJavaScript(wrapped, { ecmaVersion: "latest" }));
    } catch (error) {
      return { error: describeError(error) };
    }
    if (!block) return { error: "not a list of statements" };
    const last = block.body[block.body.length - 1];
    body =
      last?.type === "ExpressionStatement"
        ? `{${wrapped.slice(block.start + 1, last.start)}return (${wrapped.slice(last.start, last.expression.end)});${wrapped.slice(last.end, block.end - 1)}}`
        : wrapped.slice(block.start, block.end);
  }
  const source = `(async () => {
  try {
    let value = await (async () => ${body})();
    if (typeof value === "function") value = await value();
    let shown;
    try { shown = typeof value === "string" ? JSON.stringify(value) : String(value); } catch { shown = typeof value; }
    return { ok: !!value, shown: shown.length > 200 ? shown.slice(0, 200) + "…" : shown };
  } catch (error) {
    return { thrown: error instanceof Error ? error.name + ": " + error.message : String(error) };
  }
})()`;
  return { source };
}

function isOneExpression(source: string): boolean {
  try {
    return parseJavaScript(source, { ecmaVersion: "latest" }).body.length === 1;
  } catch {
    return false;
  }
}

function functionBlock(program: Program): BlockStatement | null {
  const statement = program.body[0];
  if (statement?.type !== "ExpressionStatement" || statement.expression.type !== "ArrowFunctionExpression") return null;
  const body = statement.expression.body;
  return body.type === "BlockStatement" ? body : null;
}

/** Waits until no request has been in flight for QUIET_MS, at most SETTLE_MAX_MS. */
async function settle(inFlight: () => number, lastActivity: () => number): Promise<void> {
  const deadline = performance.now() + SETTLE_MAX_MS;
  while (performance.now() < deadline) {
    if (inFlight() <= 0 && performance.now() - lastActivity() >= QUIET_MS) return;
    await delay(20);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function responsive(page: Page): Promise<boolean> {
  const probe = page.evaluate("1").then(
    () => true,
    () => false,
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PROBE_MS)));
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function skippedText(text: string): CheckResult {
  return { check: text, kind: "text", outcome: "skipped", message: "natural-language check: not judged (no model judge here)" };
}

/** A check that fails while outside requests were blocked may only lack the internet; say so rather than blame the app. */
function markNeedsNetwork(run: PageRun): PageRun {
  if (run.blockedHosts.length === 0) return run;
  const note = `requests to ${run.blockedHosts.join(", ")} were blocked (the verifier has no internet)`;
  run.checks = run.checks.map((c) =>
    c.outcome === "fail" || c.outcome === "error" ? { ...c, outcome: "needs-network", message: c.message ? `${c.message}; ${note}` : note } : c,
  );
  return run;
}

function describePageError(error: Error): string {
  const at = (error.stack ?? "").split("\n").find((line) => /^\s+at\s/.test(line));
  const first = `${error.name}: ${error.message}`.split("\n")[0]!;
  return at ? `${first} (${at.trim()})` : first;
}

/** Messages name files as the tree does (`/app.js`), not by the throwaway loopback port. */
function localize(run: PageRun, url: string): PageRun {
  const root = url.replace(/\/$/, "");
  const strip = (line: string) => line.split(root).join("");
  return {
    ...run,
    pageErrors: run.pageErrors.map(strip),
    consoleErrors: run.consoleErrors.map(strip),
    failedRequests: run.failedRequests.map(strip),
    checks: run.checks.map((c) => (c.message ? { ...c, message: strip(c.message) } : c)),
  };
}

/**
 * Passed: no static errors, no failing or erroring check, and no page errors. Page errors while outside requests
 * were blocked stay in the report but do not fail it: they are most likely the missing library, which the
 * evaluator (with internet) will have.
 */
function buildReport(staticErrors: string[], run: PageRun, started: number): VerificationReport {
  const pageErrorsCount = run.blockedHosts.length === 0 && run.pageErrors.length > 0;
  const failed = staticErrors.length > 0 || pageErrorsCount || run.checks.some((c) => c.outcome === "fail" || c.outcome === "error");
  return {
    status: failed ? "failed" : "passed",
    staticErrors,
    pageErrors: run.pageErrors,
    consoleErrors: run.consoleErrors,
    failedRequests: run.failedRequests,
    checks: run.checks,
    passed: run.checks.filter((c) => c.outcome === "pass").length,
    durationMs: Math.round(performance.now() - started),
    ...(run.judgeUsage ? { judgeUsage: run.judgeUsage } : {}),
  };
}

/** A counting semaphore: at most `size` holders; the rest wait in order. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async acquire(): Promise<() => void> {
    if (this.active < this.size) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next();
      else this.active--;
    };
  }
}
