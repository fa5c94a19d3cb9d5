import type { Brief } from "../intake/brief-schema.js";
import type { BriefStore } from "../store/brief-store.js";

/** An issue that carries a brief, as stored on the brief (`brief.issue`). */
export interface IssueRef {
  owner: string;
  repo: string;
  number: number;
}

/**
 * Lookups the webhooks need and the store has no table for, kept in its key-value table: which briefs belong to
 * an issue, which issue a task belongs to, which brief a generated repository's pull request belongs to.
 */
export class IssueIndex {
  constructor(private readonly store: BriefStore) {}

  /** The issue's briefs, oldest first. */
  briefsOf(issue: IssueRef): Brief[] {
    const ids = this.store.getValue<string[]>(issueKey(issue)) ?? [];
    return ids.map((id) => this.store.getBrief(id)).filter((b): b is Brief => b !== null);
  }

  addBrief(issue: IssueRef, brief: Brief): void {
    const ids = this.store.getValue<string[]>(issueKey(issue)) ?? [];
    if (!ids.includes(brief.id)) this.store.setValue(issueKey(issue), [...ids, brief.id]);
    this.store.setValue(`task-issue:${brief.task}`, issueKey(issue));
  }

  /** The issue whose briefs use a task name (tasks are unique per issue, since they name the repository). */
  issueOfTask(task: string): string | null {
    return this.store.getValue<string>(`task-issue:${task}`);
  }

  /** Records that a pull request on a generated repository carries a brief's round (written by the reporter). */
  setPullRequest(repoFullName: string, number: number, briefId: string): void {
    this.store.setValue(pullRequestKey(repoFullName, number), briefId);
  }

  /** The latest brief of the round a pull request carries, or null for pull requests brief-bot did not open. */
  briefOfPullRequest(repoFullName: string, number: number): Brief | null {
    const id = this.store.getValue<string>(pullRequestKey(repoFullName, number));
    const known = id ? this.store.getBrief(id) : null;
    if (!known) return null;
    const round = this.store.briefsForTask(known.task).filter((b) => b.round === known.round);
    return round[round.length - 1] ?? known;
  }

  /** Who asked for a round (a `/revise` comment, a review): asked to review its pull request. */
  setRequester(briefId: string, login: string): void {
    this.store.setValue(`requester:${briefId}`, login);
  }

  requesterOf(briefId: string): string | null {
    return this.store.getValue<string>(`requester:${briefId}`);
  }

  /** Things done once (one polite comment per issue, one "Live" comment per brief), recorded after they succeed. */
  wasDone(key: string): boolean {
    return this.store.getValue<boolean>(`once:${key}`) === true;
  }

  markDone(key: string): void {
    this.store.setValue(`once:${key}`, true);
  }
}

export function issueKey(issue: IssueRef): string {
  return `issue:${issue.owner.toLowerCase()}/${issue.repo.toLowerCase()}#${issue.number}`;
}

function pullRequestKey(repoFullName: string, number: number): string {
  return `pr:${repoFullName.toLowerCase()}#${number}`;
}
