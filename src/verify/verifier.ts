import type { NormalizedCheck } from "../intake/brief-schema.js";
import type { ForgeFile } from "../forge/forge.js";
import type { Usage } from "../model/app-writer.js";

export type CheckOutcome = "pass" | "fail" | "error" | "needs-network" | "skipped";

export interface CheckResult {
  check: string;
  kind: "js" | "text";
  outcome: CheckOutcome;
  /** Why it failed or errored, in the browser's words. */
  message?: string;
}

export interface VerificationReport {
  /** `skipped` when no browser was found; static checks still ran. */
  status: "passed" | "failed" | "skipped";
  /** Why verification was skipped, for people (e.g. "no browser found (set CHROMIUM_PATH)"). */
  skippedReason?: string;
  staticErrors: string[];
  pageErrors: string[];
  consoleErrors: string[];
  failedRequests: string[];
  checks: CheckResult[];
  /** Checks that passed, for picking the best attempt. */
  passed: number;
  durationMs: number;
  /** What the model judge of natural-language checks cost (VERIFY_JUDGE=on). */
  judgeUsage?: Usage;
}

/** Checks a generated app before it ships: static checks, then the brief's checks in a real browser. */
export interface Verifier {
  /** Serves `files` on a loopback port and checks them. */
  verifyFiles(files: ForgeFile[], checks: NormalizedCheck[], signal?: AbortSignal): Promise<VerificationReport>;
  /** Runs the JavaScript checks against a live URL (the deployed pages_url). */
  verifyUrl(url: string, checks: NormalizedCheck[], signal?: AbortSignal): Promise<VerificationReport>;
  close(): Promise<void>;
}

/** Lines a person (or the model, when repairing) can act on. */
export function describeFailures(report: VerificationReport): string[] {
  return [
    ...report.staticErrors.map((e) => `static: ${e}`),
    ...report.pageErrors.map((e) => `page error: ${e}`),
    ...report.failedRequests.map((e) => `failed request: ${e}`),
    ...report.checks
      .filter((c) => c.outcome === "fail" || c.outcome === "error")
      .map((c) => `check ${c.outcome === "fail" ? "failed" : "errored"}: ${c.check}${c.message ? ` (${c.message})` : ""}`),
  ];
}
