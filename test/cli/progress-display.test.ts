import { createProgressDisplay, formatSummary } from "../../src/cli/progress-display.js";
import type { BriefStatusJson } from "../../src/cli/submit-brief.js";

function event(type: string, data: Record<string, unknown>, at: string) {
  return { id: null, event: type, data: JSON.stringify({ ...data, at }) };
}

const T = (seconds: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, seconds)).toISOString();

describe("createProgressDisplay", () => {
  test("prints one line per step with its elapsed time from the events and what it produced", () => {
    let out = "";
    const display = createProgressDisplay({ write: (t) => (out += t) });
    display.onEvent(event("queued", { task: "sales", round: 1 }, T(0)));
    display.onEvent(event("step.started", { step: "commit", title: "Commit" }, T(1)));
    display.onEvent(event("committed", { step: "commit", sha: "0123456789abcdef", branch: "main" }, T(2)));
    display.onEvent(event("step.finished", { step: "commit" }, T(3)));
    display.onEvent(event("step.started", { step: "pages", title: "Publish on Pages" }, T(3)));
    display.onEvent(event("step.failed", { step: "pages", error: "Pages is not enabled" }, T(8)));
    display.onEvent(event("failed", { error: "Pages is not enabled" }, T(8)));
    display.finish();
    expect(out.split("\n")).toEqual([
      "Queued sales, round 1",
      "✓ Commit                     2.0s  0123456 on main",
      "✗ Publish on Pages           5.0s  Pages is not enabled",
      "✗ Failed: Pages is not enabled",
      "",
    ]);
  });

  test("on a terminal, shows the running step with … and rewrites that line when it ends", () => {
    let out = "";
    const display = createProgressDisplay({ write: (t) => (out += t), tty: true });
    display.onEvent(event("step.started", { title: "Verify in a browser" }, T(0)));
    expect(out).toBe("… Verify in a browser");
    display.onEvent(event("step.finished", {}, T(1)));
    expect(out).toBe("… Verify in a browser\r\x1b[2K✓ Verify in a browser        1.0s\n");
  });

  test("marks a step the stream ended in as unfinished", () => {
    let out = "";
    const display = createProgressDisplay({ write: (t) => (out += t), now: () => Date.parse(T(4)) });
    display.onEvent(event("step.started", { title: "Notify the evaluator" }, T(1)));
    display.finish();
    expect(out).toBe("… Notify the evaluator       3.0s  unfinished\n");
  });
});

describe("formatSummary", () => {
  const status: BriefStatusJson = {
    id: "br_1",
    task: "sales",
    round: 2,
    state: "succeeded",
    steps: [],
    repo_url: "file:///tmp/data dir/repos/local/sales.git",
    pages_url: "http://localhost:3000/pages/local/sales/",
    commit_sha: "abc",
    pr_url: "file:///tmp/data%20dir/repos/local/sales.git#pull-1",
    verification: {
      local: {
        status: "failed",
        passed: 1,
        total: 3,
        checks: [
          { check: "js: !!document.querySelector('#a')", outcome: "pass" },
          { check: "js: !!document.querySelector('#b')", outcome: "fail", message: "returned false" },
          { check: "Repo has MIT license", outcome: "skipped", message: "not judged" },
        ],
      },
      live: { status: "error", error: "page did not load" },
    },
    notifications: [],
    error: null,
  };

  test("lists the links, a clone command for a local repository, and each check with its mark", () => {
    expect(formatSummary(status)).toEqual([
      "sales, round 2: succeeded",
      "  repository   file:///tmp/data dir/repos/local/sales.git",
      "  clone        git clone '/tmp/data dir/repos/local/sales.git'",
      "  page         http://localhost:3000/pages/local/sales/",
      "  commit       abc",
      "  pull request file:///tmp/data%20dir/repos/local/sales.git#pull-1",
      "  checks before committing: 1/3 passed, 1 not judged",
      "    ✓ js: !!document.querySelector('#a')",
      "    ✗ js: !!document.querySelector('#b') — returned false",
      "    – Repo has MIT license — not judged",
      "  checks on the live page: not run (page did not load)",
    ]);
  });
});
