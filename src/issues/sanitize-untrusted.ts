/**
 * Invisible and direction-changing characters: zero-width spaces and joiners, marks, bidi embeddings, overrides
 * and isolates, word joiners and invisible operators, the BOM, and Unicode tag characters. A person reading the
 * issue does not see them; a model does.
 */
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u{E0000}-\u{E007F}]/gu;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
const VOID_ELEMENTS = new Set(["area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);

/**
 * Text from an issue, as a person sees it rendered: HTML comments, invisible characters, `<details>` blocks and
 * hidden elements (`hidden`, `display:none`, `visibility:hidden`) are removed, so that instructions hidden from
 * the reader never reach the model. Unterminated hidden constructs are cut to the end of the text.
 */
export function sanitizeUntrusted(text: string): string {
  let out = text.replace(/\r\n?/g, "\n").normalize("NFC");
  out = out.replace(INVISIBLE, "").replace(CONTROL, "");
  // Until nothing changes: removing one construct may join the halves of another (`<!<details></details>--`).
  for (let previous = ""; previous !== out; ) {
    previous = out;
    out = out.replace(/<!--[\s\S]*?(?:-->|$)/g, "");
    out = removeElements(out, (name, attributes) => name === "details" || isHidden(attributes));
  }
  return out.replace(/[ \t]+$/gm, "").replace(/\n{3,}/g, "\n\n").trim();
}

function isHidden(attributes: string): boolean {
  if (/(^|\s)hidden(\s|=|$|\/)/i.test(attributes)) return true;
  const style = /\bstyle\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(attributes);
  const css = (style?.[2] ?? style?.[3] ?? style?.[4] ?? "").replace(/\s+/g, "").toLowerCase();
  return /display:none|visibility:hidden|font-size:0(?![.\d])|opacity:0(?![.\d])/.test(css);
}

/** Removes every element the predicate selects, with its content (nested elements of the same name counted). */
function removeElements(text: string, remove: (name: string, attributes: string) => boolean): string {
  let result = "";
  let cursor = 0;
  TAG.lastIndex = 0;
  for (let match = TAG.exec(text); match; match = TAG.exec(text)) {
    const [whole, closing, rawName = "", attributes = ""] = match;
    const name = rawName.toLowerCase();
    if (closing || !remove(name, attributes)) continue;
    result += text.slice(cursor, match.index);
    const selfClosing = VOID_ELEMENTS.has(name) || /\/\s*$/.test(attributes);
    cursor = selfClosing ? match.index + whole.length : endOfElement(text, name, match.index + whole.length);
    TAG.lastIndex = cursor;
  }
  return result + text.slice(cursor);
}

function endOfElement(text: string, name: string, from: number): number {
  const tags = new RegExp(`<(/?)${name}\\b(?:[^>"']|"[^"]*"|'[^']*')*>`, "gi");
  tags.lastIndex = from;
  let depth = 1;
  for (let match = tags.exec(text); match; match = tags.exec(text)) {
    depth += match[1] ? -1 : 1;
    if (depth === 0) return match.index + match[0].length;
  }
  return text.length;
}
