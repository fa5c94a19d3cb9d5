import { createHash } from "node:crypto";

const MAX_NAME = 100;
const MAX_DESCRIPTION = 350;

/**
 * The repository name for a task, by GitHub's rules: only `A-Z a-z 0-9 . _ -`, at most 100 characters, never
 * `.` or `..`. Deterministic, so a re-sent round 1 finds the same repository; a long task is cut and suffixed
 * with a hash of the whole task so that two tasks sharing a long prefix still get distinct names.
 */
export function repoNameForTask(task: string): string {
  let name = task
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "");
  if (name === "" || /^\.+$/.test(name)) name = `task-${shortHash(task)}`;
  if (name.length > MAX_NAME) {
    const head = name.slice(0, MAX_NAME - 9).replace(/[-.]+$/, "");
    name = `${head}-${shortHash(task)}`;
  }
  return name;
}

/** A description GitHub accepts: no control characters, whitespace collapsed, at most 350 characters. */
export function repoDescription(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ").replace(/\s+/g, " ").trim();
  if (clean.length <= MAX_DESCRIPTION) return clean;
  const cut = clean.slice(0, MAX_DESCRIPTION - 1);
  const atWord = cut.lastIndexOf(" ");
  return `${(atWord > MAX_DESCRIPTION / 2 ? cut.slice(0, atWord) : cut).trimEnd()}…`;
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}
