import { execFileSync, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { ROOT } from "../helpers/spawn-server.js";

/** Runs `scripts/demo.ts` as `npm run demo` would, with a bare environment; resolves with its exit code and output. */
function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("npm run demo publishes round 1, merges round 2 and names the repository and the page", async () => {
  const { code, stdout, stderr } = await runDemo();
  const dataDir = /^ {2}data {7}(\S+)/m.exec(stdout)?.[1];
  try {
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(/sales-summary-demo, round 1: succeeded/);
    expect(stdout).toMatch(/sales-summary-demo, round 2: succeeded/);
    expect(stdout).toMatch(/✓ Merge the pull request/);
    const page = /page check {3}(http:\/\/localhost:\d+\/pages\/local\/sales-summary-demo\/) answers 200/.exec(stdout);
    expect(page).not.toBeNull();

    const repo = /git clone (\S+\/repos\/local\/sales-summary-demo\.git)/.exec(stdout)?.[1];
    expect(repo).toBeDefined();
    expect(repo!.startsWith(dataDir!)).toBe(true);
    const files = execFileSync("git", ["--git-dir", repo!, "ls-tree", "--name-only", "main"], { encoding: "utf8" }).split("\n");
    expect(files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "index.html", "data.csv"]));
    const index = execFileSync("git", ["--git-dir", repo!, "show", "main:index.html"], { encoding: "utf8" });
    expect(index).toContain('id="product-sales"');
  } finally {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}, 150_000);
