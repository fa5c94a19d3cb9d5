#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { EventStreamError, followEvents } from "./follow-events.js";
import { createProgressDisplay, formatSummary } from "./progress-display.js";
import { briefUrl, ClientError, getBriefStatus, loadBriefFile, submitBrief, type BriefStatusJson } from "./submit-brief.js";

export interface CliOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** Exit codes: the job succeeded; it failed or was cancelled; the command or a request was wrong. */
export const EXIT_OK = 0;
export const EXIT_JOB_FAILED = 1;
export const EXIT_USAGE = 2;

const DEFAULT_URL = "http://localhost:3000";

export const HELP = `brief-bot: send a brief to a brief-bot server and watch it become an app.

Usage:
  brief-bot submit <brief.json> [--url URL] [--secret S] [--follow] [--json]
  brief-bot status <id> [--url URL] [--secret S]
  brief-bot --help

  <brief.json>   a brief in the route's JSON format (see examples/)
  --url URL      the server (default: $BRIEF_BOT_URL or ${DEFAULT_URL})
  --secret S     the server's BRIEF_SECRET (default: $BRIEF_SECRET, else the file's "secret")
  --follow       show progress until the job ends, then the result
  --json         print JSON only (progress, if followed, goes to stderr)

Exit status: 0 submitted (or, with --follow, succeeded); 1 the job failed or was cancelled;
2 a usage error or a request the server refused (its message is printed).
`;

/** The command line, callable in-process: returns the exit code instead of exiting. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: "string" },
        secret: { type: "string" },
        follow: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, target, ...extra] = positionals;
  if (values.help || command === "help") {
    io.stdout.write(HELP);
    return EXIT_OK;
  }
  if (!command) return usage(io, "name a command: submit or status");
  if (command !== "submit" && command !== "status") return usage(io, `unknown command ${JSON.stringify(command)}`);
  if (!target) return usage(io, command === "submit" ? "submit needs a brief file" : "status needs a brief id");
  if (extra.length > 0) return usage(io, `unexpected argument ${JSON.stringify(extra[0])}`);
  const url = values.url ?? io.env.BRIEF_BOT_URL ?? DEFAULT_URL;
  if (!/^https?:\/\//i.test(url)) return usage(io, `--url must be an http(s) URL, not ${JSON.stringify(url)}`);
  const secret = values.secret ?? nonEmpty(io.env.BRIEF_SECRET);
  const doFetch = io.fetch ?? fetch;

  try {
    if (command === "status") {
      if (!secret) return usage(io, "status needs --secret or BRIEF_SECRET");
      io.stdout.write(`${JSON.stringify(await getBriefStatus(url, target, secret, doFetch), null, 2)}\n`);
      return EXIT_OK;
    }
    const brief = await loadBriefFile(target, secret);
    const { code } = await submitAndFollow({ url, body: brief.body, secret: brief.secret, follow: values.follow, json: values.json, io });
    return code;
  } catch (error) {
    if (error instanceof ClientError || error instanceof EventStreamError) {
      io.stderr.write(`brief-bot: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

export interface SubmitAndFollowOptions {
  url: string;
  body: Record<string, unknown>;
  secret: string;
  follow: boolean;
  json: boolean;
  io: CliIo;
}

/**
 * Posts a brief; when following, shows its events until the job ends and then the status summary.
 * Returns the exit code and, when followed, the final status. Throws ClientError/EventStreamError.
 */
export async function submitAndFollow(options: SubmitAndFollowOptions): Promise<{ code: number; id: string; status: BriefStatusJson | null }> {
  const { io, url, secret } = options;
  const doFetch = io.fetch ?? fetch;
  const accepted = await submitBrief(url, options.body, doFetch);
  const out = options.json ? io.stderr : io.stdout;
  const color = Boolean(out.isTTY) && !io.env.NO_COLOR;
  if (!options.follow) {
    io.stdout.write(options.json ? `${JSON.stringify(accepted)}\n` : `${accepted.id}\n`);
    return { code: EXIT_OK, id: accepted.id, status: null };
  }
  out.write(`Accepted ${accepted.id}${accepted.duplicate ? " (submitted before: following the existing job)" : ""}\n`);
  const display = createProgressDisplay({ write: (text) => out.write(text), tty: Boolean(out.isTTY), color });
  try {
    await followEvents({
      url: `${briefUrl(url, accepted.id)}/events`,
      secret,
      onEvent: (event) => display.onEvent(event),
      fetch: doFetch,
      ...(io.signal ? { signal: io.signal } : {}),
    });
  } finally {
    display.finish();
  }
  const status = await finalStatus(url, accepted.id, secret, doFetch);
  if (options.json) io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  else io.stdout.write(`\n${formatSummary(status, { color }).join("\n")}\n`);
  if (status.state === "succeeded") return { code: EXIT_OK, id: accepted.id, status };
  if (status.state !== "failed" && status.state !== "cancelled") {
    io.stderr.write(`brief-bot: the event stream ended but the job is still ${status.state}\n`);
  }
  return { code: EXIT_JOB_FAILED, id: accepted.id, status };
}

const TERMINAL_STATES = new Set(["succeeded", "failed", "cancelled"]);

/** The status after the stream ended; a server that closed the stream early gets a few seconds to catch up. */
async function finalStatus(url: string, id: string, secret: string, doFetch: typeof fetch): Promise<BriefStatusJson> {
  for (let attempt = 1; ; attempt++) {
    const status = await getBriefStatus(url, id, secret, doFetch);
    if (TERMINAL_STATES.has(status.state) || attempt >= 10) return status;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

function usage(io: CliIo, message: string): number {
  io.stderr.write(`brief-bot: ${message}\nRun brief-bot --help for usage.\n`);
  return EXIT_USAGE;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value ? value : undefined;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`brief-bot: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = EXIT_USAGE;
    },
  );
}
