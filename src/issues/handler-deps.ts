import type { Logger } from "pino";
import type { BriefStore } from "../store/brief-store.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { IssueIndex } from "./issue-index.js";

/** What the issue webhooks work with: the store and queue, and the index of issues and pull requests. */
export interface HandlerDeps {
  store: BriefStore;
  queue: JobQueue;
  index: IssueIndex;
  log: Logger;
}
