import { pathToFileURL } from "node:url";
import { normalizeCheck } from "../src/intake/brief-schema.js";
import { ChromiumVerifier } from "../src/verify/chromium-verifier.js";
import { findChromium } from "../src/verify/find-chromium.js";
import { loadApp } from "../test/fixtures/apps/load-app.js";

/** The correct fixture's checks, as a brief would state them. */
const CHECKS = [
  'document.querySelector("#total-sales") !== null',
  'js: document.querySelector("#total-sales").textContent.trim() === "1234.50"',
  { js: "const rows = document.querySelectorAll('#sales tbody tr');\nrows.length === 3" },
  "!!document.querySelector(\"link[href*='style.css']\")",
  "The page shows the total sales in a large font",
].map(normalizeCheck);

/**
 * What verification adds per app with the browser warm (goal: at most 1.5 s): one launch, one warm-up, then
 * `runs` verifications of the correct fixture. The cold number includes launching Chromium.
 */
export async function benchVerify(runs = 10): Promise<{ name: string; value: number; unit: string }[]> {
  const executablePath = findChromium(process.env.CHROMIUM_PATH);
  if (!executablePath) {
    console.error("verify bench skipped: no browser found (set CHROMIUM_PATH)");
    return [];
  }
  const verifier = new ChromiumVerifier({ executablePath });
  const files = loadApp("correct");
  try {
    const cold = await timed(() => verifier.verifyFiles(files, CHECKS));
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) warm.push(await timed(() => verifier.verifyFiles(files, CHECKS)));
    warm.sort((a, b) => a - b);
    return [
      { name: "verify.cold_first_app", value: cold, unit: "ms" },
      { name: "verify.warm_median", value: percentile(warm, 0.5), unit: "ms" },
      { name: "verify.warm_p95", value: percentile(warm, 0.95), unit: "ms" },
    ];
  } finally {
    await verifier.close();
  }
}

async function timed(verify: () => Promise<{ status: string }>): Promise<number> {
  const started = performance.now();
  const report = await verify();
  // A failing run would time the wrong thing.
  if (report.status !== "passed") throw new Error(`the correct fixture did not pass verification: ${JSON.stringify(report)}`);
  return Math.round(performance.now() - started);
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(JSON.stringify(await benchVerify(), null, 2));
}
