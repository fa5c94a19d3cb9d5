import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { HttpError } from "../http/http-error.js";
import { readJsonBody } from "../http/read-json-body.js";
import { sendJson } from "../http/send-json.js";
import { pathOf, type RouteHandler } from "../http/route-handler.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { BriefStore } from "../store/brief-store.js";
import { briefRequestSchema } from "./brief-schema.js";
import { decodeDataUri, DataUriError } from "./data-uri.js";
import { verifySecret } from "./verify-secret.js";

export interface BriefRouteOptions {
  store: BriefStore;
  queue: JobQueue;
  secret: string;
  maxBytes: number;
  /** Where route briefs' repositories go (BRIEF_OWNER). */
  owner: string | null;
  publicUrl: string;
  log: Logger;
}

export const BRIEF_PATHS = new Set(["/api/briefs", "/api-endpoint"]);

/**
 * `POST /api/briefs` (and `/api-endpoint`, seed 000's path): checks the body and the secret, stores the
 * brief with its job in one transaction, answers at once. The work happens in the job.
 */
export function createBriefRoute(options: BriefRouteOptions): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (!BRIEF_PATHS.has(pathOf(req))) return false;
    if (req.method !== "POST") throw new HttpError(405, "use POST with a JSON brief");
    const body = await readJsonBody(req, options.maxBytes);
    const secret = typeof body === "object" && body !== null ? (body as { secret?: unknown }).secret : undefined;
    if (!verifySecret(secret, options.secret)) throw new HttpError(403, "secret is missing or wrong");

    const parsed = briefRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
      throw new HttpError(400, `invalid brief: ${issues.map((i) => `${i.path || "body"}: ${i.message}`).join("; ")}`, issues);
    }
    const request = parsed.data;
    const names = new Set<string>();
    for (const attachment of request.attachments) {
      if (names.has(attachment.name)) throw new HttpError(400, `attachment ${attachment.name}: the name is used twice`);
      names.add(attachment.name);
      if (/^data:/i.test(attachment.url)) {
        try {
          decodeDataUri(attachment.url);
        } catch (error) {
          if (error instanceof DataUriError) throw new HttpError(400, `attachment ${attachment.name}: ${error.message}`);
          throw error;
        }
      }
    }

    const { brief, created } = options.store.createBrief({
      source: "route",
      email: request.email,
      task: request.task,
      round: request.round,
      nonce: request.nonce,
      brief: request.brief,
      checks: request.checks,
      evaluationUrl: request.evaluation_url ?? null,
      attachments: request.attachments,
      owner: options.owner,
      issue: null,
    });
    if (created) {
      options.log.info({ briefId: brief.id, task: brief.task, round: brief.round }, "brief accepted");
      await options.queue.enqueue(brief.id);
    }
    return sendJson(res, 200, {
      status: "accepted",
      id: brief.id,
      task: brief.task,
      round: brief.round,
      nonce: brief.nonce,
      duplicate: !created,
      status_url: `${options.publicUrl}/api/briefs/${brief.id}`,
    });
  };
}
