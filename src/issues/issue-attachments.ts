/** Where GitHub stores files and images people attach to issues and comments. */
export function isGitHubAttachmentUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== "https:" || url.username || url.password || url.port) return false;
  const host = url.hostname.toLowerCase();
  if (host === "github.com") return url.pathname.startsWith("/user-attachments/");
  return host === "user-images.githubusercontent.com" || host === "private-user-images.githubusercontent.com";
}

export interface IssueAttachment {
  name: string;
  url: string;
}

const MARKDOWN_LINK = /(!?)\[([^\]\n]*)\]\((https:\/\/[^)\s]+)(?:\s+"[^"]*")?\)/g;
const IMG_TAG = /<img\b[^>]*?\bsrc\s*=\s*["']?(https:\/\/[^"'\s>]+)["']?[^>]*>/gi;
const ALT = /\balt\s*=\s*["']([^"']*)["']/i;

/**
 * Files and images attached in issue text (markdown links and images, `<img src>`) on GitHub's attachment hosts.
 * Each gets a plain, unique file name, and the text points at that name instead of the URL, which is what the
 * app will use: attachments are committed at the repository root under their names.
 */
export function extractAttachments(text: string, taken: Iterable<string> = []): { text: string; attachments: IssueAttachment[] } {
  const attachments: IssueAttachment[] = [];
  const names = new Set([...taken].map((n) => n.toLowerCase()));
  const byUrl = new Map<string, string>();
  const nameFor = (url: string, label: string, image: boolean): string => {
    const known = byUrl.get(url);
    if (known) return known;
    const name = uniqueName(fileName(url, label, image), names);
    names.add(name.toLowerCase());
    byUrl.set(url, name);
    attachments.push({ name, url });
    return name;
  };
  let out = text.replace(MARKDOWN_LINK, (whole, bang: string, label: string, url: string) => {
    if (!isGitHubAttachmentUrl(url)) return whole;
    return `${bang}[${label}](${nameFor(url, label, bang === "!")})`;
  });
  out = out.replace(IMG_TAG, (whole, url: string) => {
    if (!isGitHubAttachmentUrl(url)) return whole;
    const alt = ALT.exec(whole)?.[1] ?? "";
    return `![${alt}](${nameFor(url, alt, true)})`;
  });
  return { text: out, attachments };
}

/** `files/123/data.csv` keeps its name; `assets/<uuid>` images are named after their alt text (`.png` when GitHub gives no extension). */
function fileName(url: string, label: string, image: boolean): string {
  const last = decodeSafely(new URL(url).pathname.split("/").filter(Boolean).pop() ?? "");
  const fromUrl = /\.[A-Za-z0-9]{1,8}$/.test(last) ? last : "";
  let name = clean(fromUrl) || clean(label) || (image ? "image" : "attachment");
  if (image && !/\.(png|jpe?g|gif|webp|svg|bmp|avif|ico)$/i.test(name)) name += ".png";
  return name;
}

function clean(raw: string): string {
  const name = raw
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[-.]+|-+$/g, "");
  return name.slice(-100).replace(/^[-.]+/, "");
}

function uniqueName(name: string, taken: Set<string>): string {
  if (!taken.has(name.toLowerCase())) return name;
  const dot = name.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  for (let n = 2; ; n++) {
    const candidate = `${stem}-${n}${ext}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}

function decodeSafely(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
