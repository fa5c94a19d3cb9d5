import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import nock from "nock";
import { EventStreamError, followEvents, type SseEvent } from "../../src/cli/follow-events.js";

type Handler = (res: ServerResponse, request: number) => void;

/** An SSE endpoint whose n-th request (0-based) is answered by `handler`; records each request's headers. */
async function sseServer(handler: Handler) {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    handler(res, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/briefs/br_1/events`;
  return {
    url,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sse(res: ServerResponse): ServerResponse {
  return res.writeHead(200, { "content-type": "text/event-stream" });
}

let server: Awaited<ReturnType<typeof sseServer>> | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

describe("followEvents", () => {
  test("sends the secret as a bearer token and returns once the server closes after the terminal event", async () => {
    server = await sseServer((res) => {
      sse(res).write('id: 1\nevent: queued\ndata: {}\n\n: keep-alive\n\nid: 2\nevent: succeeded\ndata: {"pages_url":"http://x/"}\n\n');
      res.end();
    });
    const events: SseEvent[] = [];
    const { last } = await followEvents({ url: server.url, secret: "s3cret-value", onEvent: (e) => events.push(e) });
    expect(events.map((e) => e.event)).toEqual(["queued", "succeeded"]);
    expect(last).toEqual({ id: "2", event: "succeeded", data: '{"pages_url":"http://x/"}' });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.authorization).toBe("Bearer s3cret-value");
    expect(server.requests[0]!["last-event-id"]).toBeUndefined();
  });

  test("reconnects once with Last-Event-ID after a dropped connection and gets only the rest", async () => {
    server = await sseServer((res, n) => {
      if (n === 0) {
        sse(res).write("id: 4\nevent: step.started\ndata: {}\n\n", () => res.destroy());
        return;
      }
      sse(res).end("id: 5\nevent: step.finished\ndata: {}\n\nid: 6\nevent: failed\ndata: {}\n\n");
    });
    const events: SseEvent[] = [];
    await followEvents({ url: server.url, secret: "s3cret-value", onEvent: (e) => events.push(e) });
    expect(events.map((e) => `${e.id} ${e.event}`)).toEqual(["4 step.started", "5 step.finished", "6 failed"]);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!["last-event-id"]).toBe("4");
  });

  test("gives up when the reconnect drops too without a new event", async () => {
    server = await sseServer((res) => sse(res).end(": keep-alive\n\n"));
    await expect(followEvents({ url: server.url, secret: "s3cret-value", onEvent: () => {} })).rejects.toThrow(
      /closed the event stream before the job ended/,
    );
    expect(server.requests).toHaveLength(2);
  });

  test("reports the server's error message when it refuses the stream", async () => {
    server = await sseServer((res) => res.writeHead(401, { "content-type": "application/json" }).end('{"error":"send Authorization: Bearer <BRIEF_SECRET>"}'));
    const error = await followEvents({ url: server.url, secret: "wrong-value", onEvent: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventStreamError);
    expect(error).toMatchObject({ status: 401, message: "send Authorization: Bearer <BRIEF_SECRET>" });
    expect(server.requests).toHaveLength(1);
  });

  test("decodes a character split between two network chunks", async () => {
    const bytes = Buffer.from('event: note\ndata: {"mark":"✓"}\n\nevent: succeeded\ndata: {}\n\n');
    const cut = bytes.indexOf(Buffer.from("✓")) + 1;
    server = await sseServer((res) => {
      sse(res).write(bytes.subarray(0, cut), () => setTimeout(() => res.end(bytes.subarray(cut)), 20));
    });
    const events: SseEvent[] = [];
    await followEvents({ url: server.url, secret: "s3cret-value", onEvent: (e) => events.push(e) });
    expect(events[0]).toEqual({ id: null, event: "note", data: '{"mark":"✓"}' });
  });

  test("stops waiting for the close when a server keeps the stream open after the terminal event", async () => {
    server = await sseServer((res) => sse(res).write("event: succeeded\ndata: {}\n\n"));
    const { last } = await followEvents({ url: server.url, secret: "s3cret-value", onEvent: () => {}, closeGraceMs: 50 });
    expect(last?.event).toBe("succeeded");
    expect(server.requests).toHaveLength(1);
  });
});
