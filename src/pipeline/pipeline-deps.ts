import type { Logger } from "pino";
import type { Brief } from "../intake/brief-schema.js";
import type { Forge } from "../forge/forge.js";
import type { AppWriter } from "../model/app-writer.js";
import type { Verifier } from "../verify/verifier.js";
import type { BriefStore } from "../store/brief-store.js";
import type { FetchLike } from "../net/safe-fetch.js";

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Shows a brief's progress where people look (the status comment, a check run). */
export interface StatusReporter {
  /** Called after every step change; reads what it needs from the store. Must not throw. */
  update(brief: Brief, event: "step" | "succeeded" | "failed" | "awaiting-review"): Promise<void>;
}

export interface PipelineSettings {
  /** Default owner for route briefs (BRIEF_OWNER). */
  defaultOwner: string | null;
  maxCostUsd: number;
  maxRepairs: number;
  deadlineMs: number;
  visibility: "public" | "private";
  revisionMerge: "auto" | "manual";
  pagesPollMs: number;
  maxAttachmentBytes: number;
}

/** Everything the pipeline talks to, handed in by the composition root (src/index.ts) or a test. */
export interface PipelineDeps {
  store: BriefStore;
  forgeFor(brief: Brief): Promise<Forge>;
  writer: AppWriter;
  verifier: Verifier;
  reporters: StatusReporter[];
  /** fetch for URLs from briefs (attachments, evaluation_url): filtered against private addresses. */
  fetch: FetchLike;
  /** Downloads an http(s) attachment; issue briefs use the installation token for user-attachments. */
  fetchAttachment?(brief: Brief, url: string, signal: AbortSignal): Promise<{ bytes: Buffer; mediaType: string }>;
  clock: Clock;
  settings: PipelineSettings;
  log: Logger;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};
