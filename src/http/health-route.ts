import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./send-json.js";
import { pathOf, type RouteHandler } from "./route-handler.js";

export interface HealthComponents {
  store: () => { ok: boolean; [key: string]: unknown };
  queue: () => { ok: boolean; [key: string]: unknown };
  forge: string;
  model: { kind: string; model: string; configured: boolean };
  verifier: string;
}

/** `GET /health`: which store, queue, forge and model are in use, and whether they answer. */
export function createHealthRoute(components: HealthComponents): RouteHandler {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (pathOf(req) !== "/health" || (req.method !== "GET" && req.method !== "HEAD")) return false;
    const store = safe(components.store);
    const queue = safe(components.queue);
    const healthy = store.ok && queue.ok;
    return sendJson(res, healthy ? 200 : 503, {
      status: healthy ? "healthy" : "unhealthy",
      components: { store, queue, forge: components.forge, llm: components.model, verifier: components.verifier },
    });
  };
}

function safe(probe: () => { ok: boolean; [key: string]: unknown }) {
  try {
    return probe();
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
