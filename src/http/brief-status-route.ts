import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./http-error.js";
import { sendJson } from "./send-json.js";
import { pathOf, type RouteHandler } from "./route-handler.js";
import type { BriefEvent, BriefStore } from "../store/brief-store.js";
import { verifySecret } from "../intake/verify-secret.js";
import { briefStatus } from "./brief-status.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/**
 * `GET /api/briefs/:id` (status JSON) and `GET /api/briefs/:id/events` (Server-Sent Events: the past
 * replayed, then live ones, ending with the job), both behind `Authorization: Bearer <BRIEF_SECRET>`.
 */
export function createBriefStatusRoute(options: { store: BriefStore; secret: string; heartbeatMs?: number }): RouteHandler {
  return (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/api\/briefs\/([A-Za-z0-9_-]+)(\/events)?\/?$/.exec(pathOf(req));
    if (!match) return false;
    if (req.method !== "GET") throw new HttpError(405, "use GET");
    const auth = req.headers.authorization ?? "";
    const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
    if (!token || !verifySecret(token, options.secret)) {
      throw new HttpError(401, "send Authorization: Bearer <BRIEF_SECRET>");
    }
    const id = match[1]!;
    const status = briefStatus(options.store, id);
    if (!status) throw new HttpError(404, `no brief with id ${id}`);
    if (!match[2]) return sendJson(res, 200, status);
    streamEvents(options.store, id, req, res, options.heartbeatMs ?? 15_000);
    return true;
  };
}

function streamEvents(store: BriefStore, id: string, req: IncomingMessage, res: ServerResponse, heartbeatMs: number): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
  let lastSeq = Number(req.headers["last-event-id"]) || 0;
  let closed = false;
  const send = (event: BriefEvent) => {
    if (closed || event.seq <= lastSeq) return;
    lastSeq = event.seq;
    res.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...event.data, at: event.at })}\n\n`);
  };
  const finishIfDone = () => {
    const job = store.getJob(id);
    if (job && TERMINAL.has(job.state)) close();
  };
  const unsubscribe = store.onEvent(id, (event) => {
    send(event);
    if (event.type === "succeeded" || event.type === "failed" || event.type === "cancelled") finishIfDone();
  });
  // Events written by another process (a second runner) reach this one through the store.
  const poll = setInterval(() => {
    for (const event of store.listEvents(id, lastSeq)) send(event);
    finishIfDone();
  }, 1_000);
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), heartbeatMs);
  function close() {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(poll);
    clearInterval(heartbeat);
    res.end();
  }
  req.on("close", close);
  for (const event of store.listEvents(id, lastSeq)) send(event);
  finishIfDone();
}
