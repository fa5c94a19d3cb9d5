import { createServer, type IncomingMessage, type Server } from "node:http";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { SECRET, tempDir, validBrief } from "../helpers/test-env.js";
import { startServer, stopServer } from "../helpers/spawn-server.js";

/** An evaluator on loopback that hangs on its first request (the server is killed meanwhile) and accepts later ones. */
function evaluator(): Promise<{ server: Server; url: string; bodies: unknown[]; firstArrived: Promise<void> }> {
  const bodies: unknown[] = [];
  let arrived: () => void;
  const firstArrived = new Promise<void>((r) => (arrived = r));
  const server = createServer(async (req: IncomingMessage, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    bodies.push(JSON.parse(text));
    if (bodies.length === 1) {
      arrived();
      return; // never answered: the brief-bot process dies while waiting
    }
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/notify`, bodies, firstArrived })),
  );
}

async function waitForState(url: string, id: string, states: string[], ms = 60_000): Promise<Record<string, unknown>> {
  const end = Date.now() + ms;
  for (;;) {
    const res = await fetch(`${url}/api/briefs/${id}`, { headers: { authorization: `Bearer ${SECRET}` } });
    const status = (await res.json()) as Record<string, unknown>;
    if (states.includes(status.state as string)) return status;
    if (Date.now() > end) throw new Error(`brief stayed ${String(status.state)}: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a brief accepted just before a kill -9 is finished after restart, from its checkpoint", async () => {
  const dataDir = tempDir();
  const env = { BRIEF_SECRET: SECRET, DATA_DIR: dataDir, FORGE: "local", LLM_PROVIDER: "offline", VERIFY: "off", JOB_LEASE_MS: "1000" };
  const evaluation = await evaluator();
  const first = await startServer(env);
  let second: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    const res = await fetch(`${first.url}/api/briefs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(validBrief({ evaluation_url: evaluation.url })),
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };

    await evaluation.firstArrived;
    await stopServer(first.child, "SIGKILL");

    second = await startServer(env);
    const status = await waitForState(second.url, id, ["succeeded", "failed"]);
    expect(status.state).toBe("succeeded");
    expect(status.error).toBeNull();

    // The notification went out again with the same seven fields, and was recorded once it got its 200.
    expect(evaluation.bodies).toHaveLength(2);
    expect(evaluation.bodies[1]).toEqual(evaluation.bodies[0]);
    expect(Object.keys(evaluation.bodies[1] as object).sort()).toEqual(["commit_sha", "email", "nonce", "pages_url", "repo_url", "round", "task"]);
    expect(status.notifications).toEqual([expect.objectContaining({ attempt: 1, status: 200 })]);

    // Work done before the crash was not redone: one generation, one round commit on top of the initial one.
    const stream = await (await fetch(`${second.url}/api/briefs/${id}/events`, { headers: { authorization: `Bearer ${SECRET}` } })).text();
    const started = [...stream.matchAll(/event: step\.started\ndata: \{"step":"([a-z-]+)"/g)].map((m) => m[1]);
    expect(started.filter((s) => s === "generate")).toHaveLength(1);
    expect(started.filter((s) => s === "commit")).toHaveLength(1);
    expect(started.filter((s) => s === "notify")).toHaveLength(2);
    expect(stream).toMatch(/event: running\ndata: \{"attempt":2/);
    const bare = join(dataDir, "repos", "local", "sales-summary-a1b2c.git");
    expect(execFileSync("git", ["rev-list", "--count", "main"], { cwd: bare }).toString().trim()).toBe("2");
  } finally {
    await stopServer(first.child, "SIGKILL");
    if (second) await stopServer(second.child);
    evaluation.server.closeAllConnections();
    evaluation.server.close();
  }
});
