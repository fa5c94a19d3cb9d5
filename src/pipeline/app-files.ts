import type { ForgeFile } from "../forge/forge.js";
import type { WriterAttachment, TextFile } from "../model/app-writer.js";
import { attachmentBytes, type LoadedAttachment } from "./steps/load-attachments.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|csv|x-yaml|yaml|ld\+json)|image\/svg\+xml)/;
const INLINE_TEXT_CAP = 20_000;

/** Text when the bytes are valid UTF-8 with no NUL (committed inline), else bytes (committed as a blob). */
export function asForgeContent(bytes: Buffer): string | Buffer {
  if (bytes.includes(0)) return bytes;
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes;
  }
}

export function attachmentFiles(attachments: LoadedAttachment[]): ForgeFile[] {
  return attachments.map((a) => ({ path: a.name, content: asForgeContent(attachmentBytes(a)) }));
}

/** How the writer sees attachments: text inline (capped), images as bytes for vision. */
export function writerAttachments(attachments: LoadedAttachment[]): WriterAttachment[] {
  return attachments.map((a) => {
    const bytes = attachmentBytes(a);
    const content = asForgeContent(bytes);
    const isText = typeof content === "string" && (TEXT_TYPES.test(a.mediaType) || /\.(csv|json|md|txt|tsv|xml|ya?ml)$/i.test(a.name));
    return {
      name: a.name,
      mediaType: a.mediaType,
      size: a.size,
      text: isText ? (content as string).slice(0, INLINE_TEXT_CAP) : null,
      bytes: a.mediaType.startsWith("image/") ? bytes : null,
    };
  });
}

/** Applies changed files and deletions over a tree; later files win. */
export function overlay(base: ForgeFile[], changes: ForgeFile[], deletions: string[] = []): ForgeFile[] {
  const byPath = new Map(base.map((f) => [f.path, f]));
  for (const path of deletions) byPath.delete(path);
  for (const file of changes) byPath.set(file.path, file);
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
}

export function textFiles(files: ForgeFile[]): TextFile[] {
  return files.filter((f): f is TextFile => typeof f.content === "string");
}

/** Generated apps that deploy Pages with a workflow need `build_type: workflow`. */
export function deploysPagesWithWorkflow(files: ForgeFile[]): boolean {
  return files.some(
    (f) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f.path) && typeof f.content === "string" && f.content.includes("actions/deploy-pages"),
  );
}
