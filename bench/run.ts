import { benchIntake, type BenchResult } from "./intake.bench.js";
import { benchVerify } from "./verify.bench.js";

/** `npm run bench`: timing goals live here, never in tests. Prints a table and exits 0. */
const results: BenchResult[] = [];
results.push(...(await benchIntake()));
results.push(...(await benchVerify()));
const width = Math.max(...results.map((r) => r.name.length));
for (const r of results) console.log(`${r.name.padEnd(width)}  ${String(r.value).padStart(9)} ${r.unit}`);
