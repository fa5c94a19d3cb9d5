import type { PagesInfo, RepoInfo } from "../../forge/forge.js";
import { PermanentError } from "../errors.js";
import { deploysPagesWithWorkflow } from "../app-files.js";
import type { Step, StepContext } from "../step.js";
import type { VerifiedApp } from "./verify-app.js";
import type { RevisionBase } from "./write-app.js";

const MAX_POLL_MS = 30_000;

/** The commit that Pages must publish: round 1's commit, or the merge commit of a later round. */
function liveCommit(ctx: StepContext): string {
  if (ctx.brief.round === 1) return ctx.output<{ sha: string }>("commit").sha;
  return ctx.output<{ sha: string }>("merge").sha;
}

function repoOf(ctx: StepContext): RepoInfo {
  return ctx.brief.round === 1 ? ctx.output<RepoInfo>("repository") : ctx.output<RevisionBase>("repository").repo;
}

/**
 * Enables Pages (or reconciles its settings), waits until the build of this round's commit is done, then
 * until the page itself answers 200, polling with backoff within the round's deadline.
 */
export const publishPages: Step = {
  name: "pages",
  title: "Publish on Pages",
  async run(ctx: StepContext): Promise<PagesInfo & { commitSha: string }> {
    const forge = await ctx.deps.forgeFor(ctx.brief);
    const repo = repoOf(ctx);
    const sha = liveCommit(ctx);
    const buildType = deploysPagesWithWorkflow(ctx.output<VerifiedApp>("verify").files) ? "workflow" : "legacy";
    const pages = await forge.ensurePages(repo, { branch: repo.defaultBranch, buildType });
    ctx.result({ pages_url: pages.url });
    ctx.event("pages.enabled", { url: pages.url, build_type: pages.buildType });

    let delay = ctx.deps.settings.pagesPollMs;
    const wait = async (what: string) => {
      if (ctx.deps.clock.now() + delay > ctx.deadline) {
        throw new PermanentError(`Pages did not ${what} before the round's deadline`, "check the repository's Pages settings and build log");
      }
      await ctx.deps.clock.sleep(delay, ctx.signal);
      delay = Math.min(MAX_POLL_MS, Math.ceil(delay * 1.5));
    };
    for (;;) {
      const state = await forge.pagesBuildState(repo, sha, pages.buildType);
      if (state.status === "built") break;
      if (state.status === "errored") throw new PermanentError(`the Pages build failed: ${state.error}`);
      await wait("build this commit");
    }
    ctx.event("pages.built", { sha });
    for (;;) {
      const status = await pageStatus(ctx, pages.url);
      if (status === 200) break;
      ctx.event("pages.waiting", { status });
      await wait("answer 200");
    }
    ctx.event("pages.live", { url: pages.url });
    return { ...pages, commitSha: sha };
  },
};

async function pageStatus(ctx: StepContext, url: string): Promise<number | string> {
  try {
    // The site is ours: plain fetch, not the brief-URL filter (the local forge serves it on loopback).
    const response = await fetch(url, { signal: ctx.signal, redirect: "follow", headers: { "cache-control": "no-cache" } });
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    return (error as Error).message;
  }
}

