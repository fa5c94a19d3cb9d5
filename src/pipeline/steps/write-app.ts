import { normalizeCheck } from "../../intake/brief-schema.js";
import type { RepoInfo } from "../../forge/forge.js";
import type { TextFile } from "../../model/app-writer.js";
import { PermanentError } from "../errors.js";
import { readCommitFiles } from "../read-commit-files.js";
import { spentUsd, writeAndRecord } from "../record-usage.js";
import { textFiles, writerAttachments } from "../app-files.js";
import type { Step, StepContext } from "../step.js";
import type { LoadedAttachment } from "./load-attachments.js";

/** The branch a later round's pull request comes from. */
export function revisionBranch(round: number): string {
  return `brief-bot/round-${round}`;
}

export interface WrittenApp {
  files: TextFile[];
  deletions: string[];
  summary: string;
}

/** Round 1: the model writes the whole app. */
export const generateApp: Step = {
  name: "generate",
  title: "Generate the app",
  async run(ctx: StepContext): Promise<WrittenApp> {
    const result = await writeAndRecord(
      ctx,
      {
        kind: "create",
        task: ctx.brief.task,
        brief: ctx.brief.brief,
        checks: ctx.brief.checks.map(normalizeCheck),
        attachments: writerAttachments(ctx.output<LoadedAttachment[]>("attachments")),
        spentUsd: spentUsd(ctx),
        maxCostUsd: ctx.brief.options?.maxCostUsd ?? ctx.deps.settings.maxCostUsd,
      },
    );
    ctx.event("generated", { files: result.files.map((f) => f.path), summary: result.summary });
    return { files: result.files, deletions: [], summary: result.summary };
  },
};

export interface RevisionBase {
  repo: RepoInfo;
  baseSha: string;
}

/** Round 2 and later: find the task's repository and its current head. */
export const findRevisionBase: Step = {
  name: "repository",
  title: "Find the repository",
  async run(ctx: StepContext): Promise<RevisionBase> {
    const earlier = ctx.deps.store
      .briefsForTask(ctx.brief.task)
      .filter((b) => b.round < ctx.brief.round)
      .map((b) => ctx.deps.store.getResult(b.id))
      .filter((r) => r.repo_full_name);
    const last = earlier[earlier.length - 1];
    if (!last?.repo_full_name) {
      throw new PermanentError(
        `round ${ctx.brief.round} of task ${ctx.brief.task} has no earlier round with a repository`,
        "send round 1 of this task first",
      );
    }
    const [owner, name] = last.repo_full_name.split("/") as [string, string];
    const forge = await ctx.deps.forgeFor(ctx.brief);
    const repo = await forge.getRepository({ owner, name });
    if (!repo) throw new PermanentError(`repository ${last.repo_full_name} of task ${ctx.brief.task} no longer exists`);
    // A review iteration continues the round's branch; a new round starts from the default branch.
    const baseSha = (await forge.getBranchHead(repo, revisionBranch(ctx.brief.round))) ?? (await forge.getBranchHead(repo, repo.defaultBranch));
    if (!baseSha) throw new PermanentError(`repository ${repo.fullName} has no ${repo.defaultBranch} branch`);
    ctx.result({ repo_url: repo.htmlUrl, repo_full_name: repo.fullName });
    return { repo, baseSha };
  },
};

/** Round 2 and later: the model changes the current app. */
export const reviseApp: Step = {
  name: "generate",
  title: "Revise the app",
  async run(ctx: StepContext): Promise<WrittenApp> {
    const { repo, baseSha } = ctx.output<RevisionBase>("repository");
    const forge = await ctx.deps.forgeFor(ctx.brief);
    const current = await readCommitFiles(forge, repo, baseSha);
    const result = await writeAndRecord(
      ctx,
      {
        kind: "revise",
        task: ctx.brief.task,
        round: ctx.brief.round,
        brief: ctx.brief.brief,
        checks: ctx.brief.checks.map(normalizeCheck),
        attachments: writerAttachments(ctx.output<LoadedAttachment[]>("attachments")),
        currentFiles: textFiles(current).filter((f) => f.path !== "LICENSE"),
        spentUsd: spentUsd(ctx),
        maxCostUsd: ctx.brief.options?.maxCostUsd ?? ctx.deps.settings.maxCostUsd,
      },
    );
    ctx.event("generated", { files: result.files.map((f) => f.path), deletions: result.deletions, summary: result.summary });
    return { files: result.files, deletions: result.deletions.filter((d) => d !== "LICENSE"), summary: result.summary };
  },
};
