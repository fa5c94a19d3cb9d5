import { createServer, type Server } from "node:http";
import type { Logger } from "pino";
import { HttpError } from "./http-error.js";
import { sendJson } from "./send-json.js";
import type { RouteHandler } from "./route-handler.js";

/**
 * The HTTP server: Probot's webhook middleware (when the app has credentials) and our routes, tried in
 * order; the first that returns true answered. HttpErrors become JSON; anything else is a logged 500.
 */
export function createHttpServer(handlers: RouteHandler[], log: Logger): Server {
  return createServer(async (req, res) => {
    try {
      for (const handler of handlers) {
        if (await handler(req, res)) return;
      }
      sendJson(res, 404, { error: `no route for ${req.method} ${new URL(req.url ?? "/", "http://x").pathname}` });
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        // A body refused half-way is not read to its end: answer, then close the connection.
        const unread = !req.readableEnded;
        sendJson(res, error.status, { error: error.message, ...(error.details ? { details: error.details } : {}) }, unread ? { connection: "close" } : {});
        if (unread) res.once("finish", () => setTimeout(() => req.destroy(), 50).unref());
        return;
      }
      log.error({ err: error, method: req.method, path: req.url?.split("?")[0] }, "request failed");
      sendJson(res, 500, { error: "internal error; see the server log" });
    }
  });
}
