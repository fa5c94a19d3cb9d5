import type { IncomingMessage, ServerResponse } from "node:http";

/** Probot's custom-route shape: handle the request and return true, or return false to pass it on. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? "/", "http://localhost").pathname;
}
