import { sanitizeUntrusted } from "./sanitize-untrusted.js";

export type IssueCommand = { name: "revise"; text: string } | { name: "retry" };

/** `/revise <what to change>` (the text may go on over several lines) or `/retry`, at the start of a comment. */
export function parseCommand(body: string | null | undefined): IssueCommand | null {
  const text = sanitizeUntrusted(body ?? "");
  const match = /^\/(revise|retry)(?![\w-])[ \t]*([\s\S]*)$/i.exec(text);
  if (!match) return null;
  return match[1]!.toLowerCase() === "retry" ? { name: "retry" } : { name: "revise", text: match[2]!.trim() };
}
