import { pathToFileURL } from "node:url";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parseEnv } from "../src/config/env.js";
import { createBriefBot } from "../src/create-brief-bot.js";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Time from POST /api/briefs to its 200 on loopback. `busy`: the embedded SQLite queue runs the local
 * pipeline (local git forge, offline writer, no browser) in the same process for every brief, as
 * `npm start` would under a burst; `idle`: the queue only records, so this is the route and the store alone.
 */
export async function benchIntake(count = 200): Promise<BenchResult[]> {
  return [...(await measure("idle", count)), ...(await measure("busy", count))];
}

async function measure(mode: "idle" | "busy", count: number): Promise<BenchResult[]> {
  const env = parseEnv({
    BRIEF_SECRET: "bench-secret-123",
    DATA_DIR: mkdtempSync(join(tmpdir(), "brief-bot-bench-")),
    FORGE: "local",
    LLM_PROVIDER: "offline",
    VERIFY: "off",
    LOG_LEVEL: "silent",
  });
  const recording = { kind: "recording", async enqueue() {}, start() {}, async stop() {}, abort() {}, health: () => ({ kind: "recording", ok: true }) };
  const bot = createBriefBot(env, pino({ level: "silent" }), mode === "idle" ? { queue: recording } : {});
  const url = await bot.listen(0, "127.0.0.1");
  const timings: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const body = JSON.stringify({
        email: "bench@example.com",
        secret: "bench-secret-123",
        task: `bench-${i % 20}`,
        round: 1,
        nonce: `n-${i}`,
        brief: "A page with a #total element showing 42.",
        checks: ["js: document.querySelector('#total') !== null"],
        attachments: [{ name: "data.csv", url: "data:text/csv;base64,YSwxCmIsMgo=" }],
      });
      const started = performance.now();
      const res = await fetch(`${url}/api/briefs`, { method: "POST", headers: { "content-type": "application/json" }, body });
      await res.json();
      timings.push(performance.now() - started);
      if (res.status !== 200) throw new Error(`brief ${i} answered ${res.status}`);
    }
  } finally {
    await bot.close();
  }
  const sorted = [...timings].sort((a, b) => a - b);
  return [
    { name: `intake (${mode}): POST /api/briefs → 200, p50`, value: round(percentile(sorted, 50)), unit: "ms" },
    { name: `intake (${mode}): POST /api/briefs → 200, p95`, value: round(percentile(sorted, 95)), unit: "ms" },
    { name: `intake (${mode}): POST /api/briefs → 200, max`, value: round(sorted[sorted.length - 1]!), unit: "ms" },
  ];
}

const round = (n: number) => Math.round(n * 100) / 100;

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(JSON.stringify(await benchIntake(), null, 2));
}
