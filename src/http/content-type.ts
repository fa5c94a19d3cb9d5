import { extname } from "node:path";

/** Content types of the files a static site holds, as GitHub Pages serves them. */
const TEXT = "charset=utf-8";
const CONTENT_TYPES: Record<string, string> = {
  ".html": `text/html; ${TEXT}`,
  ".htm": `text/html; ${TEXT}`,
  ".css": `text/css; ${TEXT}`,
  ".js": `text/javascript; ${TEXT}`,
  ".mjs": `text/javascript; ${TEXT}`,
  ".json": `application/json; ${TEXT}`,
  ".map": `application/json; ${TEXT}`,
  ".webmanifest": `application/manifest+json; ${TEXT}`,
  ".txt": `text/plain; ${TEXT}`,
  ".md": `text/markdown; ${TEXT}`,
  ".csv": `text/csv; ${TEXT}`,
  ".xml": `application/xml; ${TEXT}`,
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".pdf": "application/pdf",
  ".wasm": "application/wasm",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".mp3": "audio/mpeg",
  ".wav": "audio/wav",
  ".ogg": "audio/ogg",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
};

/** The content type GitHub Pages would send for a path; unknown extensions are plain bytes. */
export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}
