import type { ForgeFile } from "../forge/forge.js";
import type { NormalizedCheck } from "../intake/brief-schema.js";
import { staticChecks } from "./static-checks.js";
import type { CheckResult, VerificationReport, Verifier } from "./verifier.js";

export const NO_BROWSER_REASON = "no browser found (set CHROMIUM_PATH)";

/** The verifier when there is no browser: static checks still run (they need none); every check is skipped. */
export class SkippedVerifier implements Verifier {
  constructor(private readonly reason: string = NO_BROWSER_REASON) {}

  async verifyFiles(files: ForgeFile[], checks: NormalizedCheck[]): Promise<VerificationReport> {
    const started = performance.now();
    const staticErrors = staticChecks(files);
    return this.report(staticErrors, checks, started);
  }

  async verifyUrl(_url: string, checks: NormalizedCheck[]): Promise<VerificationReport> {
    return this.report([], checks, performance.now());
  }

  async close(): Promise<void> {}

  private report(staticErrors: string[], checks: NormalizedCheck[], started: number): VerificationReport {
    return {
      status: staticErrors.length > 0 ? "failed" : "skipped",
      skippedReason: this.reason,
      staticErrors,
      pageErrors: [],
      consoleErrors: [],
      failedRequests: [],
      checks: checks.map((c): CheckResult => ({ check: c.text, kind: c.kind, outcome: "skipped", message: this.reason })),
      passed: 0,
      durationMs: Math.round(performance.now() - started),
    };
  }
}
