import { describe, expect, it } from "@jest/globals";
import { normalizeCheck } from "../../src/intake/brief-schema.js";
import { SkippedVerifier } from "../../src/verify/skipped-verifier.js";
import { loadApp } from "../fixtures/apps/load-app.js";

const checks = ['document.querySelector("#total-sales") !== null', "The page shows the total"].map(normalizeCheck);

describe("SkippedVerifier", () => {
  it("skips every check and says why when the app passes its static checks", async () => {
    const report = await new SkippedVerifier().verifyFiles(loadApp("correct"), checks);
    expect(report).toMatchObject({
      status: "skipped",
      skippedReason: "no browser found (set CHROMIUM_PATH)",
      staticErrors: [],
      passed: 0,
      checks: [
        { check: 'document.querySelector("#total-sales") !== null', kind: "js", outcome: "skipped" },
        { check: "The page shows the total", kind: "text", outcome: "skipped" },
      ],
    });
  });

  it("still fails an app whose static checks fail", async () => {
    const report = await new SkippedVerifier().verifyFiles(loadApp("broken"), checks);
    expect(report.status).toBe("failed");
    expect(report.staticErrors).toEqual(['index.html:6: <link href="styles/main.css"> names styles/main.css, which is not in the tree']);
  });

  it("skips the checks against a live URL", async () => {
    const report = await new SkippedVerifier().verifyUrl("https://example.github.io/app/", checks);
    expect(report.status).toBe("skipped");
    expect(report.checks.map((c) => c.outcome)).toEqual(["skipped", "skipped"]);
  });
});
