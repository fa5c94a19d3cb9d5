import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { Browser } from "playwright-core";
import { normalizeCheck, type Check } from "../../src/intake/brief-schema.js";
import { ChromiumVerifier, launchChromium } from "../../src/verify/chromium-verifier.js";
import { serveFiles } from "../../src/verify/serve-files.js";
import { describeFailures } from "../../src/verify/verifier.js";
import { loadApp } from "../fixtures/apps/load-app.js";

const CHROMIUM = "/usr/bin/chromium";
const checks = (...list: Check[]) => list.map(normalizeCheck);

/** The brief's checks for the sales fixture, in the shapes briefs use. */
const salesChecks = checks(
  'document.querySelector("#total-sales") !== null',
  'js: document.querySelector("#total-sales").textContent.trim() === "1234.50"',
  { js: "const rows = document.querySelectorAll('#sales tbody tr');\nrows.length === 3" },
  "!!document.querySelector(\"link[href*='style.css']\")",
  "js: await new Promise((resolve) => setTimeout(resolve, 10)); document.title.includes('Sales')",
  "The page shows the total sales in a large font",
);

describe("ChromiumVerifier with a shared browser", () => {
  const verifier = new ChromiumVerifier({ executablePath: CHROMIUM, checkTimeoutMs: 2_000 });
  afterAll(() => verifier.close());

  it("passes the correct app: every JavaScript check passes and the natural-language check is skipped", async () => {
    const report = await verifier.verifyFiles(loadApp("correct"), salesChecks);
    expect(report).toMatchObject({ status: "passed", staticErrors: [], pageErrors: [], consoleErrors: [], failedRequests: [], passed: 5 });
    expect(report.checks.map((c) => [c.kind, c.outcome])).toEqual([
      ["js", "pass"],
      ["js", "pass"],
      ["js", "pass"],
      ["js", "pass"],
      ["js", "pass"],
      ["text", "skipped"],
    ]);
    expect(report.durationMs).toBeGreaterThan(0);
  });

  it("fails the broken app with its page error, its missing file and its failing check", async () => {
    const report = await verifier.verifyFiles(
      loadApp("broken"),
      checks('document.querySelector("#total-sales").textContent === "100"', "js: document.querySelectorAll('h1').length === 2"),
    );
    expect(report.status).toBe("failed");
    expect(report.staticErrors).toEqual(['index.html:6: <link href="styles/main.css"> names styles/main.css, which is not in the tree']);
    expect(report.pageErrors).toEqual(["TypeError: Cannot set properties of null (setting 'textContent') (at /app.js:2:52)"]);
    expect(report.failedRequests).toEqual(["GET /styles/main.css: HTTP 404"]);
    expect(report.checks).toEqual([
      { check: 'document.querySelector("#total-sales").textContent === "100"', kind: "js", outcome: "fail", message: "returned false" },
      { check: "js: document.querySelectorAll('h1').length === 2", kind: "js", outcome: "fail", message: "returned false" },
    ]);
    expect(describeFailures(report)).toContain("check failed: js: document.querySelectorAll('h1').length === 2 (returned false)");
  });

  it("reports a check that fails because an outside script was blocked as needing the network, not as a failure", async () => {
    const report = await verifier.verifyFiles(
      loadApp("cdn"),
      checks("document.querySelector('#markdown-output h1') !== null", "document.title === 'Markdown preview'"),
    );
    expect(report.checks).toEqual([
      {
        check: "document.querySelector('#markdown-output h1') !== null",
        kind: "js",
        outcome: "needs-network",
        message: "returned false; requests to cdn.jsdelivr.net were blocked (the verifier has no internet)",
      },
      { check: "document.title === 'Markdown preview'", kind: "js", outcome: "pass" },
    ]);
    expect(report.failedRequests).toEqual(["GET https://cdn.jsdelivr.net/npm/marked/marked.min.js: blocked (the verifier has no internet)"]);
    expect(report.pageErrors).toEqual(["ReferenceError: marked is not defined (at /app.js:2:56)"]);
    expect(report.status).toBe("passed");
  });

  it("reports a throwing check as an error with the page's message and a check that is not JavaScript as an error", async () => {
    const report = await verifier.verifyFiles(
      loadApp("correct"),
      checks("js: JSON.parse(document.querySelector('#config').textContent).currency.toLowerCase() === 'usd'", "js: document.querySelector('#nope').click()", "js: (("),
    );
    expect(report.checks.map((c) => [c.outcome, c.message])).toEqual([
      ["pass", undefined],
      ["error", "TypeError: Cannot read properties of null (reading 'click')"],
      ["error", expect.stringMatching(/^the check is not valid JavaScript: Unexpected token/)],
    ]);
    expect(report.status).toBe("failed");
  });

  it("calls a check written as a function and uses its result", async () => {
    const report = await verifier.verifyFiles(loadApp("correct"), checks("js: () => document.querySelectorAll('#sales tbody tr').length", "js: async () => ''"));
    expect(report.checks.map((c) => [c.outcome, c.message])).toEqual([
      ["pass", undefined],
      ["fail", 'returned ""'],
    ]);
  });

  it("checks a live URL without static checks and without blocking, reporting its broken requests", async () => {
    const site = await serveFiles(loadApp("broken"));
    try {
      const report = await verifier.verifyUrl(site.url, checks("document.title === 'Sales summary'"));
      expect(report.staticErrors).toEqual([]);
      expect(report.failedRequests).toEqual([`GET ${site.url}styles/main.css: HTTP 404`]);
      expect(report.checks).toEqual([{ check: "document.title === 'Sales summary'", kind: "js", outcome: "pass" }]);
      expect(report.status).toBe("failed");
    } finally {
      await site.close();
    }
  });

  it("reports a URL that does not answer as a page error and every check as an error", async () => {
    const site = await serveFiles(loadApp("correct"));
    await site.close();
    const report = await verifier.verifyUrl(site.url, checks("document.title !== ''"));
    expect(report.status).toBe("failed");
    expect(report.pageErrors).toEqual([expect.stringMatching(/^the page did not load: .*ERR_CONNECTION_REFUSED/)]);
    expect(report.checks[0]).toMatchObject({ outcome: "error", message: report.pageErrors[0] });
  });
});

describe("ChromiumVerifier under trouble", () => {
  /** Launches real browsers and keeps them, so a test can close one from outside. */
  const launched: Browser[] = [];
  const launch = async (path: string) => {
    const browser = await launchChromium(path);
    launched.push(browser);
    return browser;
  };
  afterAll(async () => {
    await Promise.all(launched.map((b) => b.close()));
  });

  it("turns a check that never settles into an error after the timeout and goes on with the next check", async () => {
    const verifier = new ChromiumVerifier({ executablePath: CHROMIUM, checkTimeoutMs: 300, launch });
    try {
      const report = await verifier.verifyFiles(loadApp("correct"), checks("js: new Promise(() => {})", "document.title === 'Sales summary'"));
      expect(report.checks.map((c) => [c.outcome, c.message])).toEqual([
        ["error", "timed out after 300 ms"],
        ["pass", undefined],
      ]);
    } finally {
      await verifier.close();
    }
  });

  it("stops running checks in a page whose script never returns", async () => {
    const verifier = new ChromiumVerifier({ executablePath: CHROMIUM, checkTimeoutMs: 300, launch });
    try {
      const report = await verifier.verifyFiles(loadApp("correct"), checks("js: while (true) {}", "document.title === 'Sales summary'"));
      expect(report.checks.map((c) => [c.outcome, c.message])).toEqual([
        ["error", "timed out after 300 ms"],
        ["error", "not run: the page stopped responding (a script never finished)"],
      ]);
      // The hung page was closed with its context; the browser still serves the next app.
      expect((await verifier.verifyFiles(loadApp("correct"), salesChecks)).status).toBe("passed");
    } finally {
      await verifier.close();
    }
  });

  it("launches a new browser when the shared one was closed out from under it", async () => {
    const verifier = new ChromiumVerifier({ executablePath: CHROMIUM, launch });
    const before = launched.length;
    try {
      expect((await verifier.verifyFiles(loadApp("correct"), salesChecks)).status).toBe("passed");
      await launched[launched.length - 1]!.close();
      expect((await verifier.verifyFiles(loadApp("correct"), salesChecks)).status).toBe("passed");
      expect(launched.length - before).toBe(2);
    } finally {
      await verifier.close();
    }
  });

  it("verifies again on a new browser when the browser dies during a verification", async () => {
    const verifier = new ChromiumVerifier({ executablePath: CHROMIUM, launch });
    const before = launched.length;
    try {
      const verification = verifier.verifyFiles(loadApp("correct"), checks("js: await new Promise((r) => setTimeout(r, 300)); true"));
      const first = await waitFor(() => launched[before]);
      await waitFor(() => first.contexts()[0]?.pages()[0]);
      await first.close();
      const report = await verification;
      expect(report.status).toBe("passed");
      expect(launched.length - before).toBe(2);
    } finally {
      await verifier.close();
    }
  });

  it("checks at most `concurrency` apps at a time on one browser", async () => {
    let open = 0;
    let most = 0;
    const counting = async (path: string) => {
      const browser = await launch(path);
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (options) => {
        const context = await newContext(options);
        most = Math.max(most, ++open);
        context.on("close", () => open--);
        return context;
      };
      return browser;
    };
    const verifier = new ChromiumVerifier({ executablePath: CHROMIUM, concurrency: 2, launch: counting });
    const before = launched.length;
    try {
      const hold = checks("js: await new Promise((r) => setTimeout(r, 200)); true");
      const reports = await Promise.all([1, 2, 3, 4].map(() => verifier.verifyFiles(loadApp("correct"), hold)));
      expect(reports.map((r) => r.status)).toEqual(["passed", "passed", "passed", "passed"]);
      expect(most).toBe(2);
      expect(launched.length - before).toBe(1);
    } finally {
      await verifier.close();
    }
  });

  it("gives up on a verification when its signal aborts", async () => {
    const verifier = new ChromiumVerifier({ executablePath: CHROMIUM, launch });
    try {
      const controller = new AbortController();
      const verification = verifier.verifyFiles(loadApp("correct"), checks("js: new Promise(() => {})"), controller.signal);
      setTimeout(() => controller.abort(new Error("the job was cancelled")), 300);
      await expect(verification).rejects.toThrow("the job was cancelled");
    } finally {
      await verifier.close();
    }
  });

  it("closes its browser on close and refuses work afterwards", async () => {
    const verifier = new ChromiumVerifier({ executablePath: CHROMIUM, launch });
    await verifier.verifyFiles(loadApp("correct"), []);
    const browser = launched[launched.length - 1]!;
    await verifier.close();
    expect(browser.isConnected()).toBe(false);
    await expect(verifier.verifyFiles(loadApp("correct"), [])).rejects.toThrow("the verifier is closed");
  });

  it("says which executable it could not start", async () => {
    const verifier = new ChromiumVerifier({ executablePath: "/nonexistent/chromium" });
    await expect(verifier.verifyFiles(loadApp("correct"), [])).rejects.toThrow(/^could not start Chromium at \/nonexistent\/chromium: /);
    await verifier.close();
  });
});

async function waitFor<T>(get: () => T | undefined): Promise<T> {
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
