import { decodeDataUri } from "../../intake/data-uri.js";
import { PermanentError, RetryableError } from "../errors.js";
import type { Step, StepContext } from "../step.js";

export interface LoadedAttachment {
  name: string;
  mediaType: string;
  size: number;
  base64: string;
}

/** Decodes data: URIs and downloads http(s) attachments (through the filtered fetch), byte for byte. */
export const loadAttachments: Step = {
  name: "attachments",
  title: "Load attachments",
  async run(ctx: StepContext): Promise<LoadedAttachment[]> {
    const loaded: LoadedAttachment[] = [];
    let total = 0;
    for (const attachment of ctx.brief.attachments) {
      const { bytes, mediaType } = /^data:/i.test(attachment.url)
        ? decodeDataUri(attachment.url)
        : await download(ctx, attachment.url, attachment.name);
      total += bytes.length;
      if (total > ctx.deps.settings.maxAttachmentBytes) {
        throw new PermanentError(`attachments are larger than ${ctx.deps.settings.maxAttachmentBytes} bytes in all`);
      }
      loaded.push({ name: attachment.name, mediaType, size: bytes.length, base64: bytes.toString("base64") });
    }
    return loaded;
  },
};

async function download(ctx: StepContext, url: string, name: string): Promise<{ bytes: Buffer; mediaType: string }> {
  if (ctx.deps.fetchAttachment) return ctx.deps.fetchAttachment(ctx.brief, url, ctx.signal);
  let response: Response;
  try {
    response = await ctx.deps.fetch(url, { signal: ctx.signal, redirect: "follow" });
  } catch (error) {
    if ((error as { code?: string }).code === "EBLOCKED" || (error as Error).name === "BlockedAddressError") {
      throw new PermanentError(`attachment ${name}: ${(error as Error).message}`);
    }
    throw new RetryableError(`attachment ${name}: download failed (${(error as Error).message})`);
  }
  if (response.status >= 500 || response.status === 429) throw new RetryableError(`attachment ${name}: ${url} answered ${response.status}`);
  if (!response.ok) throw new PermanentError(`attachment ${name}: ${url} answered ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > ctx.deps.settings.maxAttachmentBytes) throw new PermanentError(`attachment ${name} is too large`);
  return { bytes, mediaType: (response.headers.get("content-type") ?? "application/octet-stream").split(";")[0]!.trim() };
}

/** Attachment bytes back from the checkpoint. */
export function attachmentBytes(a: LoadedAttachment): Buffer {
  return Buffer.from(a.base64, "base64");
}
