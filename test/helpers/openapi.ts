import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule, { type FormatsPlugin } from "ajv-formats";
import nock from "nock";

/**
 * Request bodies checked against GitHub's OpenAPI description (../shared/github/rest-api.subset.json, the
 * operations brief-bot uses, extracted from @octokit/openapi). Tests record what was sent to GitHub through
 * `githubApi()` and expect `validationErrors()` to be empty.
 */
export const OPENAPI_FILE = new URL("../../../shared/github/rest-api.subset.json", import.meta.url);

const DOC_ID = "https://brief-bot.test/github-rest-api.json";
const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const HTTP_METHODS = ["get", "post", "put", "patch", "delete"] as const;

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  literalLength: number;
  bodyRequired: boolean;
  validate: ValidateFunction | null;
}

type JsonObject = { [key: string]: unknown };

let operations: Operation[] | undefined;

/** Errors for one request: unknown operation, missing body, or a body that does not fit the schema. */
export function validateGitHubRequest(method: string, url: string, body: unknown): string[] {
  const path = apiPath(url);
  const upper = method.toUpperCase();
  const operation = loadOperations()
    .filter((op) => op.method === upper && op.pattern.test(path))
    .sort((a, b) => b.literalLength - a.literalLength)[0];
  if (!operation) return [`${upper} ${path}: no such operation in the GitHub OpenAPI subset`];
  const label = `${upper} ${operation.template}`;
  if (body === undefined) return operation.bodyRequired ? [`${label}: the request body is required`] : [];
  if (!operation.validate) return [`${label}: this operation takes no request body`];
  if (operation.validate(body)) return [];
  return (operation.validate.errors ?? []).map((e) => `${label}: body${e.instancePath} ${e.message ?? "is invalid"} ${JSON.stringify(e.params)}`);
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface GitHubApi {
  /** The nock scope to set up replies on. */
  scope: nock.Scope;
  /** Every request the scope answered, in order. */
  requests: RecordedRequest[];
  /** Requests that write (POST, PUT, PATCH, DELETE). */
  writes(): RecordedRequest[];
  /** Bodies of requests matching a method and a path (without the API prefix, query included). */
  bodiesOf(method: string, path: string | RegExp): unknown[];
  /** Schema errors over every recorded request. */
  validationErrors(): string[];
}

/**
 * A nock scope for GitHub's REST API that records and validates every request. For GitHub Enterprise Server pass
 * its origin and write interceptor paths with their `/api/v3` prefix.
 */
export function githubApi(origin = "https://api.github.com"): GitHubApi {
  const scope = nock(origin);
  const requests: RecordedRequest[] = [];
  scope.on("request", (req: { method?: string; path?: string }, _interceptor: unknown, body: string | undefined) => {
    requests.push({ method: (req.method ?? "GET").toUpperCase(), path: apiPath(req.path ?? "/"), body: parseBody(body) });
  });
  return {
    scope,
    requests,
    writes: () => requests.filter((r) => WRITE_METHODS.has(r.method)),
    bodiesOf: (method, path) =>
      requests
        .filter((r) => r.method === method.toUpperCase() && (typeof path === "string" ? r.path === path : path.test(r.path)))
        .map((r) => r.body),
    validationErrors: () => requests.flatMap((r) => validateGitHubRequest(r.method, r.path, r.body)),
  };
}

/** Throws, listing every problem, when a recorded request does not fit GitHub's description. */
export function expectValidGitHubRequests(api: Pick<GitHubApi, "validationErrors">): void {
  const errors = api.validationErrors();
  if (errors.length > 0) throw new Error(`Requests that do not fit GitHub's OpenAPI description:\n${errors.join("\n")}`);
}

function parseBody(body: string | undefined): unknown {
  if (body === undefined || body === "") return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

/** `/repos/o/r?x=1`, `https://ghe.example/api/v3/repos/o/r` → `/repos/o/r` (the path the description uses). */
function apiPath(url: string): string {
  const path = url.replace(/^[a-z]+:\/\/[^/]+/i, "").split("?")[0] ?? "/";
  return path.replace(/^\/api\/v3(?=\/)/, "");
}

function loadOperations(): Operation[] {
  if (operations) return operations;
  const doc = JSON.parse(readFileSync(OPENAPI_FILE, "utf8")) as { paths: Record<string, JsonObject>; components: JsonObject };
  // strict: false because OpenAPI adds keywords (example, discriminator, x-github …) that are not JSON Schema.
  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: under Node's ESM the default import is module.exports itself, under TypeScript's view its `default`.
  const formats = addFormatsModule as unknown as FormatsPlugin & { default?: FormatsPlugin };
  const addFormats = formats.default ?? formats;
  addFormats(ajv);
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat("timestamp", true);
  ajv.addFormat("repo.nwo", /^[^/\s]+\/[^/\s]+$/);
  // The components, under an $id, so that operation schemas can point into them.
  ajv.addSchema({ $id: DOC_ID, components: toJsonSchema(doc.components) });

  const compiled: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method] as JsonObject | undefined;
      if (!op) continue;
      const requestBody = op.requestBody as { required?: boolean; content?: Record<string, { schema?: unknown }> } | undefined;
      const schema = requestBody?.content?.["application/json"]?.schema;
      compiled.push({
        method: method.toUpperCase(),
        template,
        pattern: templatePattern(template),
        literalLength: template.replace(/\{[^}]+\}/g, "").length,
        bodyRequired: requestBody?.required === true,
        validate: schema ? ajv.compile(rebaseRefs(toJsonSchema(schema)) as JsonObject) : null,
      });
    }
  }
  operations = compiled;
  return compiled;
}

function templatePattern(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith("{") ? "[^/]+" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`);
}

function toJsonSchema(value: unknown): unknown {
  return nullableWithoutType(closeObjects(value));
}

/** OpenAPI 3.0's `nullable` next to anyOf/oneOf/$ref (no `type`), which Ajv refuses, as an explicit null branch. */
function nullableWithoutType(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nullableWithoutType);
  if (typeof value !== "object" || value === null) return value;
  const { nullable, ...rest } = value as JsonObject;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, v]) => [key, nullableWithoutType(v)]));
  if (nullable !== true) return nullable === undefined ? converted : { ...converted, nullable };
  if ("type" in rest) return { ...converted, nullable };
  return { anyOf: [converted, { type: "null" }] };
}

/** `#/components/...` → `<DOC_ID>#/components/...`, for refs inside an operation's own schema. */
function rebaseRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebaseRefs);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, key === "$ref" && typeof v === "string" && v.startsWith("#/") ? DOC_ID + v : rebaseRefs(v)]),
  );
}

/**
 * GitHub ignores fields it does not know, so a misspelt field would pass silently. Objects that list their
 * properties are closed (`additionalProperties: false`), except where schemas are combined with allOf/anyOf/oneOf
 * (a closed branch would reject the other branches' fields); branches that only list required fields are fine.
 */
function closeObjects(value: unknown, insideCombination = false): unknown {
  if (Array.isArray(value)) return value.map((v) => closeObjects(v, insideCombination));
  if (typeof value !== "object" || value === null) return value;
  const object = value as JsonObject;
  const result: JsonObject = {};
  for (const [key, v] of Object.entries(object)) {
    const combination = key === "allOf" || key === "anyOf" || key === "oneOf";
    result[key] = key === "examples" || key === "example" ? v : closeObjects(v, combination);
  }
  const hasCombination = ["allOf", "anyOf", "oneOf"].some(
    (key) => Array.isArray(object[key]) && (object[key] as unknown[]).some((branch) => !onlyRequires(branch)),
  );
  if (
    !insideCombination &&
    !hasCombination &&
    typeof object.properties === "object" &&
    object.properties !== null &&
    !("additionalProperties" in object)
  ) {
    result.additionalProperties = false;
  }
  return result;
}

function onlyRequires(branch: unknown): boolean {
  return typeof branch === "object" && branch !== null && Object.keys(branch).every((key) => key === "required" || key === "description");
}
