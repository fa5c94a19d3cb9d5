import type { ApplicationFunction } from "probot";
import type { JobQueue } from "../queue/job-queue.js";
import type { PipelineDeps } from "../pipeline/pipeline-deps.js";

/** Briefs from GitHub issues (issue #4). Until that lands, the app only logs installations. */
export function issueWebhooks(deps: PipelineDeps, _queue: JobQueue): ApplicationFunction {
  return (app) => {
    app.on("installation", async (context) => {
      deps.log.info({ installation: context.payload.installation.id, action: context.payload.action }, "installation event");
    });
  };
}
