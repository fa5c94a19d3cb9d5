import { ChromiumVerifier } from "../src/verify/chromium-verifier.js";
import { normalizeCheck } from "../src/intake/brief-schema.js";
import { loadApp } from "../test/fixtures/apps/load-app.js";
import { pino } from "pino";
const v = new ChromiumVerifier({ executablePath: "/usr/bin/chromium", log: pino({level:"debug"}) });
const controller = new AbortController();
const t = Date.now();
setTimeout(() => { console.log("abort", Date.now() - t); controller.abort(new Error("cancelled")); }, 300);
try {
  const r = await v.verifyFiles(loadApp("correct"), [normalizeCheck("js: new Promise(() => {})")], controller.signal);
  console.log("report", Date.now() - t, JSON.stringify(r));
} catch (e) { console.log("threw", Date.now() - t, String(e)); }
await v.close();
console.log("closed", Date.now() - t);
