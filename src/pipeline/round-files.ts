import type { ForgeFile, RepoInfo } from "../forge/forge.js";
import { fallbackReadme } from "./fallback-readme.js";
import { mitLicense } from "./license.js";
import { attachmentFiles, overlay } from "./app-files.js";
import type { StepContext } from "./step.js";
import type { LoadedAttachment } from "./steps/load-attachments.js";
import type { WrittenApp, RevisionBase } from "./steps/write-app.js";
import { PermanentError } from "./errors.js";
import { readCommitFiles } from "./read-commit-files.js";

/** Where a brief's repository goes: the owner, else BRIEF_OWNER. */
export function ownerFor(ctx: StepContext): string {
  const owner = ctx.brief.owner ?? ctx.deps.settings.defaultOwner;
  if (!owner) throw new PermanentError("no owner for the repository", "set BRIEF_OWNER to the organization (or user, with GITHUB_TOKEN) that should own generated repositories");
  return owner;
}

/**
 * The files a round commits. Round 1: the app, README.md (the model's, or a plain one from the brief),
 * LICENSE (always ours), .nojekyll and the attachments. Later rounds: the changes and the attachments,
 * and a README note when the model left README.md alone.
 */
export function roundChanges(ctx: StepContext, written: WrittenApp, currentReadme: string | null): { files: ForgeFile[]; deletions: string[] } {
  const attachments = attachmentFiles(ctx.output<LoadedAttachment[]>("attachments"));
  // An installation may forbid generated workflows (brief-bot.yml allow_workflows: false): they run with its token.
  const allowWorkflows = ctx.brief.options?.allowWorkflows ?? true;
  const files: ForgeFile[] = written.files.filter((f) => allowWorkflows || !f.path.startsWith(".github/workflows/"));
  const has = (path: string) => files.some((f) => f.path === path);
  if (ctx.brief.round === 1) {
    if (!has("README.md")) files.push({ path: "README.md", content: fallbackReadme(ctx.brief, written.summary) });
    files.push({ path: "LICENSE", content: mitLicense(new Date(ctx.brief.createdAt).getUTCFullYear(), ownerFor(ctx)) });
    files.push({ path: ".nojekyll", content: "" });
  } else if (!has("README.md") && currentReadme !== null) {
    files.push({ path: "README.md", content: `${currentReadme.trimEnd()}\n\n## Round ${ctx.brief.round}\n\n${written.summary}\n` });
  }
  return { files: overlay(files, attachments), deletions: written.deletions };
}

/** The whole tree after this round: what the verifier serves. */
export async function roundTree(ctx: StepContext, written: WrittenApp): Promise<{ tree: ForgeFile[]; files: ForgeFile[]; deletions: string[] }> {
  if (ctx.brief.round === 1) {
    const { files, deletions } = roundChanges(ctx, written, null);
    return { tree: files, files, deletions };
  }
  const { repo, baseSha } = ctx.output<RevisionBase>("repository");
  const forge = await ctx.deps.forgeFor(ctx.brief);
  const current = await readCommitFiles(forge, repo as RepoInfo, baseSha);
  const readme = current.find((f) => f.path === "README.md");
  const { files, deletions } = roundChanges(ctx, written, typeof readme?.content === "string" ? readme.content : null);
  return { tree: overlay(current, files, deletions), files, deletions };
}
