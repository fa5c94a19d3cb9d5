import { ChromiumVerifier } from "../src/verify/chromium-verifier.js";
import { normalizeCheck } from "../src/intake/brief-schema.js";
import { loadApp } from "../test/fixtures/apps/load-app.js";
const v = new ChromiumVerifier({ executablePath: "/usr/bin/chromium", checkTimeoutMs: 500 });
const checks = [
  'document.querySelector("#total-sales") !== null',
  'js: document.querySelector("#total-sales").textContent.trim() === "1234.50"',
  { js: "const rows = document.querySelectorAll('#sales tbody tr'); rows.length === 3" },
  "js: await new Promise(r => setTimeout(r, 20)); document.title.includes('Sales')",
  "The page shows a heading",
  "!!document.querySelector(\"link[href*='style.css']\")",
  "js: new Promise(() => {})",
  "js: () => document.title",
  "js: throw new Error('boom')",
  "js: 0",
].map(normalizeCheck);
for (const app of ["correct", "broken", "cdn"] as const) {
  const r = await v.verifyFiles(loadApp(app), checks);
  console.log(app, JSON.stringify(r, null, 1));
}
await v.close();
