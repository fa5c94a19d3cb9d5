import type { NormalizedCheck } from "../intake/brief-schema.js";

/** An attachment as the writer sees it: always its name, type and size; text inline; images as bytes for vision. */
export interface WriterAttachment {
  name: string;
  mediaType: string;
  size: number;
  /** UTF-8 text for text attachments (capped); null for binary ones. */
  text: string | null;
  /** The bytes, for images when the model has vision. */
  bytes: Buffer | null;
}

export interface TextFile {
  path: string;
  content: string;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  calls: number;
}

export type WriteRequest =
  | {
      kind: "create";
      task: string;
      brief: string;
      checks: NormalizedCheck[];
      attachments: WriterAttachment[];
      /** Cost already spent on this brief; the writer refuses a call that would pass maxCostUsd. */
      spentUsd: number;
      maxCostUsd: number;
    }
  | {
      kind: "revise";
      task: string;
      round: number;
      brief: string;
      checks: NormalizedCheck[];
      attachments: WriterAttachment[];
      /** The repository's current text files (the writer may cut them to fit its prompt). */
      currentFiles: TextFile[];
      spentUsd: number;
      maxCostUsd: number;
    }
  | {
      kind: "repair";
      task: string;
      brief: string;
      checks: NormalizedCheck[];
      currentFiles: TextFile[];
      /** What failed, in the verifier's words. */
      failures: string[];
      spentUsd: number;
      maxCostUsd: number;
    };

export interface WriteResult {
  /** Files to write (the whole app for create; changed and added files for revise and repair). */
  files: TextFile[];
  /** Paths to delete (revise and repair only). */
  deletions: string[];
  /** One paragraph on what was built or changed, for the pull request and the status. */
  summary: string;
  usage: Usage;
}

/**
 * Writes the app: an LLM through any OpenAI-compatible endpoint, or the offline template generator.
 * Output is validated (safe paths, caps) before it is returned; LICENSE is never the writer's to write.
 */
export interface AppWriter {
  readonly kind: "openai" | "offline";
  readonly model: string;
  write(request: WriteRequest, signal?: AbortSignal): Promise<WriteResult>;
}
