import { writeFileSync } from "node:fs";
import { join } from "node:path";
import nock from "nock";
import { runCli, type CliIo } from "../../src/cli/brief-bot.js";
import { createBriefBot, type BriefBot } from "../../src/create-brief-bot.js";
import type { AppWriter } from "../../src/model/app-writer.js";
import { OfflineWriter } from "../../src/model/offline-writer.js";
import { PermanentError } from "../../src/pipeline/errors.js";
import { SkippedVerifier } from "../../src/verify/skipped-verifier.js";
import { ROOT } from "../helpers/spawn-server.js";
import { SECRET, silentLog, tempDir, testEnv, validBrief } from "../helpers/test-env.js";

const EXAMPLE = join(ROOT, "examples", "sales-summary.json");

/** A writer that refuses every brief, as a model that keeps failing would. */
const refusingWriter: AppWriter = {
  kind: "offline",
  model: "refusing",
  async write() {
    throw new PermanentError("the writer refused the brief", "rewrite the brief");
  },
};

function capture(env: Record<string, string> = {}): CliIo & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env,
    out: () => out,
    err: () => err,
  };
}

let bot: BriefBot | null = null;
let url: string;

async function start(writer: AppWriter): Promise<void> {
  const created = createBriefBot(testEnv({ FORGE: "local" }), silentLog, { writer, verifier: new SkippedVerifier() });
  bot = created;
  url = await created.listen(0, "127.0.0.1");
}

afterEach(async () => {
  await bot?.close();
  bot = null;
});

describe("brief-bot submit", () => {
  test("follows an example brief to success, shows each step and prints the page URL, exit 0", async () => {
    await start(new OfflineWriter());
    const io = capture({ BRIEF_SECRET: SECRET });
    const code = await runCli(["submit", EXAMPLE, "--url", url, "--follow"], io);
    expect(io.err()).toBe("");
    expect(code).toBe(0);
    const out = io.out();
    expect(out).toMatch(/^Accepted br_\w+/);
    expect(out).toMatch(/✓ Generate the app +\d+\.\ds {2}4 files/);
    expect(out).toMatch(/✓ Publish on Pages/);
    expect(out).toContain(`page         ${url}/pages/local/sales-summary-demo/`);
    expect(out).toMatch(/clone {8}git clone \S+\/repos\/local\/sales-summary-demo\.git/);
    expect(out).toMatch(/sales-summary-demo, round 1: succeeded/);
    expect(out).not.toContain(SECRET);
  });

  test("a job that fails shows the failed step with its error and exits 1", async () => {
    await start(refusingWriter);
    const io = capture();
    const code = await runCli(["submit", EXAMPLE, "--url", url, "--secret", SECRET, "--follow"], io);
    expect(code).toBe(1);
    expect(io.out()).toMatch(/✗ Generate the app +\d+\.\ds {2}the writer refused the brief/);
    expect(io.out()).toMatch(/round 1: failed\n {2}error {8}the writer refused the brief/);
  });

  test("a wrong secret exits 2 with the server's message", async () => {
    await start(new OfflineWriter());
    const io = capture({ BRIEF_SECRET: "not-the-secret" });
    const code = await runCli(["submit", EXAMPLE, "--url", url, "--follow"], io);
    expect(code).toBe(2);
    expect(io.err()).toBe("brief-bot: 403: secret is missing or wrong\n");
    expect(io.out()).toBe("");
  });

  test("a brief the server finds invalid exits 2 with the server's reasons", async () => {
    await start(new OfflineWriter());
    const file = join(tempDir(), "bad.json");
    writeFileSync(file, JSON.stringify(validBrief({ round: 0 })));
    const io = capture();
    expect(await runCli(["submit", file, "--url", url], io)).toBe(2);
    expect(io.err()).toMatch(/^brief-bot: 400: invalid brief: round: round must be 1 or more/);
  });

  test("without --follow it prints the id only, and --json prints the accepted answer", async () => {
    await start(new OfflineWriter());
    const plain = capture({ BRIEF_SECRET: SECRET });
    expect(await runCli(["submit", EXAMPLE, "--url", url], plain)).toBe(0);
    expect(plain.out()).toMatch(/^br_\w+\n$/);
    const json = capture({ BRIEF_SECRET: SECRET });
    expect(await runCli(["submit", EXAMPLE, "--url", url, "--json"], json)).toBe(0);
    expect(JSON.parse(json.out())).toMatchObject({ status: "accepted", id: plain.out().trim(), duplicate: true });
  });

  test("a file whose secret is the placeholder, with no --secret, is refused before anything is sent", async () => {
    const io = capture();
    expect(await runCli(["submit", EXAMPLE, "--url", "http://127.0.0.1:9"], io)).toBe(2);
    expect(io.err()).toMatch(/has no usable secret: pass --secret or set BRIEF_SECRET/);
  });

  test.each([
    [["submit"], /submit needs a brief file/],
    [["deploy", "x.json"], /unknown command "deploy"/],
    [["submit", "x.json", "--colour"], /Unknown option '--colour'/],
    [["submit", EXAMPLE, "--url", "localhost:3000", "--secret", SECRET], /--url must be an http\(s\) URL/],
    [["status", "br_1"], /status needs --secret or BRIEF_SECRET/],
  ])("usage error %j exits 2 and says what is wrong", async (argv, message) => {
    const io = capture();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.err()).toMatch(/Run brief-bot --help for usage/);
  });

  test("--help prints the usage and exits 0", async () => {
    const io = capture();
    expect(await runCli(["--help"], io)).toBe(0);
    expect(io.out()).toMatch(/brief-bot submit <brief\.json> \[--url URL\] \[--secret S\] \[--follow\] \[--json\]/);
  });
});

describe("brief-bot status", () => {
  test("prints the status JSON of a brief, and exits 2 for an unknown id", async () => {
    await start(new OfflineWriter());
    const submitted = capture({ BRIEF_SECRET: SECRET });
    await runCli(["submit", EXAMPLE, "--url", url, "--follow"], submitted);
    const id = /Accepted (br_\w+)/.exec(submitted.out())![1]!;

    const io = capture({ BRIEF_SECRET: SECRET });
    expect(await runCli(["status", id, "--url", url], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ id, state: "succeeded", pages_url: `${url}/pages/local/sales-summary-demo/` });

    const unknown = capture({ BRIEF_SECRET: SECRET });
    expect(await runCli(["status", "br_unknown", "--url", url], unknown)).toBe(2);
    expect(unknown.err()).toBe("brief-bot: 404: no brief with id br_unknown\n");
  });
});
