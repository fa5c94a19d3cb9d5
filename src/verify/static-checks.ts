import { posix } from "node:path";
import { parse as parseJavaScript } from "acorn";
import { parse as parseHtml, type DefaultTreeAdapterTypes, type ParserError } from "parse5";
import type { ForgeFile } from "../forge/forge.js";

type Element = DefaultTreeAdapterTypes.Element;
type ParentNode = DefaultTreeAdapterTypes.ParentNode;

/**
 * HTML parse errors worth a repair: the file was cut off, or the browser builds a different page than the one
 * written (content swallowed by `<div/>`-style tags, attributes dropped). Everything else parse5 reports (no doctype,
 * stray end tags, misnesting the browser mends the way the author meant, character-reference nits) renders as
 * intended, and a repair round for it would spend money for nothing.
 */
const HTML_ERRORS: Record<string, string> = {
  "eof-in-tag": "the file ends inside a tag; it looks cut off",
  "eof-before-tag-name": "the file ends inside a tag; it looks cut off",
  "eof-in-comment": "the file ends inside a comment; it looks cut off or a comment is not closed",
  "eof-in-doctype": "the file ends inside the doctype; it looks cut off",
  "eof-in-cdata": "the file ends inside a CDATA section; it looks cut off",
  "eof-in-element-that-can-contain-only-text": "the file ends inside a <script>, <style>, <textarea> or <title>; it is not closed",
  "eof-in-script-html-comment-like-text": "the file ends inside a <script> holding '<!--'; the script is not closed",
  "open-elements-left-after-eof": "an element is still open at the end of the file; a closing tag is missing or the file is cut off",
  "non-void-html-element-start-tag-with-trailing-solidus":
    "a non-void element is written self-closing (like <div/> or <script src=... />); HTML ignores the '/', so it swallows what follows: write the closing tag",
  "duplicate-attribute": "an element repeats an attribute; the browser keeps only the first",
  "missing-attribute-value": "an attribute has '=' but no value",
  "unexpected-character-in-attribute-name": "an attribute name holds a quote, '<' or '='; a quote is probably misplaced",
  "unexpected-equals-sign-before-attribute-name": "an attribute name starts with '='",
};

const JS_TYPES = new Set(["", "text/javascript", "application/javascript", "text/ecmascript", "application/ecmascript", "module"]);
const JSON_TYPES = new Set(["application/json", "application/ld+json", "importmap", "speculationrules"]);
const TEXT_DECODER = new TextDecoder("utf-8");

/**
 * Checks a tree before it is served: every HTML file parses without errors that break the page, every local file
 * its `src`/`href` attributes name exists, scripts (inline and `.js`/`.mjs`) parse, and `.json` files parse.
 * Returns one line per problem, naming the file (with line:column where known) and what is wrong.
 */
export function staticChecks(files: ForgeFile[]): string[] {
  const byPath = new Map(files.map((f) => [normalizePath(f.path), f]));
  const errors: string[] = [];
  if (!byPath.has("index.html")) errors.push("index.html: missing; GitHub Pages serves index.html at the site's root");
  for (const [path, file] of byPath) {
    const ext = posix.extname(path).toLowerCase();
    if (ext === ".html" || ext === ".htm") errors.push(...checkHtml(path, text(file), byPath));
    else if (ext === ".js" || ext === ".mjs") {
      const error = javaScriptError(text(file), ext === ".mjs" ? "module" : "either");
      if (error) errors.push(`${path}:${error.line}:${error.column}: JavaScript does not parse: ${error.message}`);
    } else if (ext === ".json") {
      const error = jsonError(text(file));
      if (error) errors.push(`${path}: JSON does not parse: ${error}`);
    }
  }
  return errors;
}

function checkHtml(path: string, html: string, tree: Map<string, ForgeFile>): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  const document = parseHtml(html, {
    sourceCodeLocationInfo: true,
    onParseError: (e: ParserError) => {
      const why = HTML_ERRORS[e.code];
      const line = `${path}:${e.startLine}:${e.startCol}: ${why} (${e.code})`;
      // parse5 reports open elements once per element; one line per place is enough for a repair.
      if (why && !seen.has(line)) {
        seen.add(line);
        errors.push(line);
      }
    },
  });
  for (const element of elements(document)) {
    for (const attr of element.attrs) {
      if ((attr.name !== "src" && attr.name !== "href") || element.tagName === "base") continue;
      const target = localTarget(path, attr.value);
      if (target === null) continue;
      const where = `${path}:${element.sourceCodeLocation?.startLine ?? "?"}`;
      if (target.startsWith("../")) errors.push(`${where}: <${element.tagName} ${attr.name}="${attr.value}"> points outside the site`);
      else if (!resolves(target, tree)) errors.push(`${where}: <${element.tagName} ${attr.name}="${attr.value}"> names ${target || "/"}, which is not in the tree`);
    }
    if (element.tagName === "script" && !element.attrs.some((a) => a.name === "src")) errors.push(...checkInlineScript(path, element));
  }
  return errors;
}

function checkInlineScript(path: string, script: Element): string[] {
  const type = (script.attrs.find((a) => a.name === "type")?.value ?? "").trim().toLowerCase().split(";")[0]!.trim();
  const code = script.childNodes.map((n) => (n.nodeName === "#text" ? (n as DefaultTreeAdapterTypes.TextNode).value : "")).join("");
  const start = script.sourceCodeLocation?.startTag;
  const line = start?.endLine ?? 1;
  if (JSON_TYPES.has(type)) {
    const error = jsonError(code);
    return error ? [`${path}:${line}: inline <script type="${type}"> is not valid JSON: ${error}`] : [];
  }
  // Templates, text/babel and other types the browser does not run are not JavaScript to check.
  if (!JS_TYPES.has(type) || code.trim() === "") return [];
  const error = javaScriptError(code, type === "module" ? "module" : "either");
  if (!error) return [];
  // Map the position inside the script back to the HTML file.
  const column = error.line === 1 ? error.column + (start?.endCol ?? 1) - 1 : error.column;
  return [`${path}:${line + error.line - 1}:${column}: inline script does not parse: ${error.message}`];
}

interface SyntaxProblem {
  message: string;
  line: number;
  column: number;
}

/**
 * Classic script first, then module. When both fail, the parse that got further is the likelier intent (an
 * `import` fails a script at once; a sloppy-mode-only construct fails a module late).
 */
function javaScriptError(code: string, mode: "module" | "either"): SyntaxProblem | null {
  const attempt = (sourceType: "script" | "module"): (SyntaxProblem & { pos: number }) | null => {
    try {
      parseJavaScript(code, { ecmaVersion: "latest", sourceType, allowHashBang: true });
      return null;
    } catch (error) {
      const e = error as SyntaxError & { pos?: number; loc?: { line: number; column: number } };
      return {
        message: e.message.replace(/\s*\(\d+:\d+\)$/, ""),
        line: e.loc?.line ?? 1,
        column: (e.loc?.column ?? 0) + 1,
        pos: e.pos ?? 0,
      };
    }
  };
  if (mode === "module") return strip(attempt("module"));
  const asScript = attempt("script");
  if (!asScript) return null;
  const asModule = attempt("module");
  if (!asModule) return null;
  return strip(asScript.pos >= asModule.pos ? asScript : asModule);
}

function strip(problem: (SyntaxProblem & { pos: number }) | null): SyntaxProblem | null {
  return problem && { message: problem.message, line: problem.line, column: problem.column };
}

function jsonError(code: string): string | null {
  try {
    JSON.parse(code);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The tree path a reference names, or null when it is not a local file (other origins, schemes, anchors, empty). */
function localTarget(fromPath: string, ref: string): string | null {
  const value = ref.trim();
  if (value === "" || value.startsWith("#") || value.startsWith("//") || /^[a-z][a-z0-9+.-]*:/i.test(value)) return null;
  // Template placeholders ({{x}}, ${x}) are filled in by scripts, not files.
  if (/\{\{|\$\{/.test(value)) return null;
  let pathPart = value.replace(/[?#].*$/, "");
  if (pathPart === "") return null;
  try {
    pathPart = decodeURIComponent(pathPart);
  } catch {
    // A malformed escape names the file literally.
  }
  // "/x" is the site's root; "../x" above the root is outside the site (on a Pages project site, another site).
  const joined = pathPart.startsWith("/")
    ? posix.normalize(pathPart).replace(/^\/+/, "")
    : posix.normalize(posix.join(posix.dirname(fromPath), pathPart));
  return joined === "." || joined === "./" ? "" : joined;
}

/** Pages serves `x`, `x.html` and `x/index.html` for `/x`, and `index.html` for a folder. */
function resolves(target: string, tree: Map<string, ForgeFile>): boolean {
  const bare = target.replace(/\/+$/, "");
  if (bare === "") return tree.has("index.html");
  return tree.has(bare) || tree.has(`${bare}.html`) || tree.has(`${bare}/index.html`);
}

function* elements(node: ParentNode): Generator<Element> {
  for (const child of node.childNodes) {
    if (!("tagName" in child)) continue;
    yield child;
    // Template content holds placeholders filled in at run time, so it is not checked for references.
    if (child.tagName !== "template") yield* elements(child);
  }
}

function text(file: ForgeFile): string {
  return typeof file.content === "string" ? file.content : TEXT_DECODER.decode(file.content);
}

export function normalizePath(path: string): string {
  return posix.normalize(path.replace(/\\/g, "/")).replace(/^(\.\/|\/)+/, "");
}
