import nock from "nock";
import { normalizeCheck } from "../../src/intake/brief-schema.js";
import type { WriteRequest } from "../../src/model/app-writer.js";
import { OpenAIWriter, WriterError } from "../../src/model/openai-writer.js";
import { isRetryable, PermanentError } from "../../src/pipeline/errors.js";

const BASE = "https://llm.test";
const PATH = "/v1/chat/completions";

interface ChatBody {
  model: string;
  messages: { role: string; content: string | { type: string; text?: string }[] }[];
  response_format?: { type: string; json_schema?: { name: string; strict: boolean; schema: Record<string, unknown> } };
  max_tokens?: number;
}

afterEach(() => nock.cleanAll());
const JS_CHECKS = ["document.querySelector('#total-sales') !== null", 'js: document.title.includes("Sales")'];

function createRequest(overrides: Partial<Extract<WriteRequest, { kind: "create" }>> = {}): WriteRequest {
  return {
    kind: "create",
    task: "sales-summary",
    brief: "Show the total of the sales column of data.csv in #total-sales.",
    checks: [...JS_CHECKS, "The page has a heading"].map(normalizeCheck),
    attachments: [{ name: "data.csv", mediaType: "text/csv", size: 16, text: "product,sales\na,1", bytes: null }],
    spentUsd: 0,
    maxCostUsd: 1,
    ...overrides,
  };
}

function writer(overrides: Partial<ConstructorParameters<typeof OpenAIWriter>[0]> = {}): OpenAIWriter {
  return new OpenAIWriter({
    apiKey: "test-key",
    baseURL: `${BASE}/v1`,
    model: "gpt-test",
    vision: false,
    timeoutMs: 10_000,
    price: { inputPerMTok: 1, outputPerMTok: 2 },
    ...overrides,
  });
}

const APP = {
  files: [
    { path: "index.html", content: "<!doctype html><title>Sales</title><p id=\"total-sales\"></p>" },
    { path: "README.md", content: "# Sales" },
  ],
  deletions: [],
  summary: "A sales page.",
};

function completion(content: string, usage = { prompt_tokens: 1000, completion_tokens: 500 }, finishReason = "stop") {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: 0,
    model: "gpt-test",
    choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: finishReason, logprobs: null }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

function userText(body: ChatBody, index = 1): string {
  const content = body.messages[index]!.content;
  return typeof content === "string" ? content : content.map((p) => p.text ?? "").join("\n");
}

describe("OpenAIWriter", () => {
  it("asks for json_schema output with the brief and every JavaScript check verbatim, and returns the parsed app", async () => {
    const sent: ChatBody[] = [];
    const scope = nock(BASE)
      .post(PATH, (body: ChatBody) => {
        sent.push(body);
        return true;
      })
      .reply(200, completion(JSON.stringify(APP)));

    const result = await writer().write(createRequest());

    const body = sent[0]!;
    expect(body.model).toBe("gpt-test");
    expect(body.max_tokens).toBe(16_000);
    expect(body.response_format?.type).toBe("json_schema");
    expect(body.response_format?.json_schema).toMatchObject({ name: "app_files", strict: true });
    expect(body.response_format?.json_schema?.schema).toMatchObject({ additionalProperties: false, required: ["files", "deletions", "summary"] });
    expect(body.messages[0]!.role).toBe("system");
    const text = userText(body);
    expect(text).toContain("Show the total of the sales column of data.csv in #total-sales.");
    expect(text).toContain("document.querySelector('#total-sales') !== null");
    expect(text).toContain('document.title.includes("Sales")');
    expect(text).toMatch(/----- BEGIN BRIEF [0-9a-f]{12} -----\nShow the total/);
    expect(text).toMatch(/in #total-sales\.\n----- END BRIEF [0-9a-f]{12} -----/);
    expect(text).not.toContain("<!--");
    expect(result).toEqual({
      files: APP.files,
      deletions: [],
      summary: "A sales page.",
      usage: { promptTokens: 1000, completionTokens: 500, costUsd: (1000 * 1 + 500 * 2) / 1e6, calls: 1 },
    });
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("falls back to json_object when the provider rejects json_schema with a 400, and keeps that mode for later calls", async () => {
    const formats: (string | undefined)[] = [];
    const record = (body: ChatBody) => {
      formats.push(body.response_format?.type);
      return true;
    };
    const scope = nock(BASE)
      .post(PATH, record)
      .reply(400, { error: { message: "response_format json_schema is not supported for this model", type: "invalid_request_error", param: "response_format" } })
      .post(PATH, record)
      .reply(200, completion(JSON.stringify(APP)))
      .post(PATH, record)
      .reply(200, completion(JSON.stringify(APP)));

    const w = writer();
    const first = await w.write(createRequest());
    await w.write(createRequest());

    expect(formats).toEqual(["json_schema", "json_object", "json_object"]);
    expect(first.files.map((f) => f.path)).toEqual(["index.html", "README.md"]);
    expect(first.usage.calls).toBe(1);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("drops response_format after json_schema (422) and json_object (400) are rejected, and parses JSON wrapped in prose", async () => {
    const formats: (string | undefined)[] = [];
    const record = (body: ChatBody) => {
      formats.push(body.response_format?.type);
      return true;
    };
    const scope = nock(BASE)
      .post(PATH, record)
      .reply(422, { error: { message: "unprocessable" } })
      .post(PATH, record)
      .reply(400, { error: { message: "Unknown parameter: response_format" } })
      .post(PATH, record)
      .reply(200, completion(`Here is your app:\n\`\`\`json\n${JSON.stringify(APP, null, 2)}\n\`\`\`\nEnjoy!`));

    const result = await writer().write(createRequest());

    expect(formats).toEqual(["json_schema", "json_object", undefined]);
    expect(result.summary).toBe("A sales page.");
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("asks once to fix an answer that is not JSON, quoting the problem, and sums usage and cost over both calls", async () => {
    const sent: ChatBody[] = [];
    const record = (body: ChatBody) => {
      sent.push(body);
      return true;
    };
    const scope = nock(BASE)
      .post(PATH, record)
      .reply(200, completion("Sure! I will build it.", { prompt_tokens: 1000, completion_tokens: 500 }))
      .post(PATH, record)
      .reply(200, completion(JSON.stringify(APP), { prompt_tokens: 2000, completion_tokens: 300 }));

    const result = await writer().write(createRequest());

    const followUp = sent[1]!.messages;
    expect(followUp).toHaveLength(4);
    expect(followUp[2]).toEqual({ role: "assistant", content: "Sure! I will build it." });
    expect(followUp[3]!.content).toMatch(/^Your answer could not be used: the answer is not valid JSON/);
    expect(result.files).toEqual(APP.files);
    expect(result.usage).toEqual({ promptTokens: 3000, completionTokens: 800, costUsd: (3000 * 1 + 800 * 2) / 1e6, calls: 2 });
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("tells the model its answer was cut off when it stopped at the output limit", async () => {
    const sent: ChatBody[] = [];
    const record = (body: ChatBody) => {
      sent.push(body);
      return true;
    };
    const scope = nock(BASE)
      .post(PATH, record)
      .reply(200, completion('{"files": [{"path": "index.html", "content": "<html>', undefined, "length"))
      .post(PATH, record)
      .reply(200, completion(JSON.stringify(APP)));

    await writer().write(createRequest());

    expect(sent[1]!.messages[3]!.content).toContain("cut off at the output token limit");
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("fails with a PermanentError after the answer is invalid twice, reporting the usage spent", async () => {
    const scope = nock(BASE).post(PATH).reply(200, completion("not json")).post(PATH).reply(200, completion("still not json"));

    const error = await writer().write(createRequest()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/^the model's answer was not a valid app: the answer is not valid JSON/);
    expect((error as WriterError).usage.calls).toBe(2);
    expect(isRetryable(error)).toBe(false);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("rejects answers with paths outside the repository or inside .git", async () => {
    const sent: ChatBody[] = [];
    const escape = { ...APP, files: [...APP.files, { path: "../x", content: "x" }] };
    const git = { ...APP, files: [...APP.files, { path: ".git/config", content: "[core]" }] };
    const scope = nock(BASE)
      .post(PATH, (body: ChatBody) => sent.push(body) > 0)
      .reply(200, completion(JSON.stringify(escape)))
      .post(PATH, (body: ChatBody) => sent.push(body) > 0)
      .reply(200, completion(JSON.stringify(git)));

    const error = await writer().write(createRequest()).catch((e: unknown) => e);

    expect(sent[1]!.messages[3]!.content).toContain("files[2].path: path must not contain '.' or '..' segments");
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain("files[2].path: path must not be inside .git/");
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("asks again when a new app has no index.html", async () => {
    const sent: ChatBody[] = [];
    const scope = nock(BASE)
      .post(PATH, (body: ChatBody) => sent.push(body) > 0)
      .reply(200, completion(JSON.stringify({ ...APP, files: [{ path: "app.html", content: "<p>" }] })))
      .post(PATH, (body: ChatBody) => sent.push(body) > 0)
      .reply(200, completion(JSON.stringify(APP)));

    const result = await writer().write(createRequest());

    expect(sent[1]!.messages[3]!.content).toContain("index.html is missing at the repository root");
    expect(result.files.map((f) => f.path)).toContain("index.html");
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("never returns a LICENSE or an attachment written by the model", async () => {
    const answer = {
      ...APP,
      files: [...APP.files, { path: "LICENSE", content: "GPL" }, { path: "license.md", content: "GPL" }, { path: "data.csv", content: "fake" }],
    };
    const scope = nock(BASE).post(PATH).reply(200, completion(JSON.stringify(answer)));

    const result = await writer().write(createRequest());

    expect(result.files.map((f) => f.path)).toEqual(["index.html", "README.md"]);
    expect(result.usage.calls).toBe(1);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("does not call the model when the call could take the brief past BRIEF_MAX_COST_USD", async () => {
    const scope = nock(BASE).post(PATH).reply(200, completion(JSON.stringify(APP)));
    // Price 1:2 per million tokens: 16,000 output tokens alone may cost $0.032.
    const error = await writer().write(createRequest({ spentUsd: 0.98, maxCostUsd: 1 })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/^the cost cap would be exceeded: .*BRIEF_MAX_COST_USD is \$1$/);
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it("turns a 401 into a PermanentError whose hint names OPENAI_API_KEY", async () => {
    const scope = nock(BASE).post(PATH).reply(401, { error: { message: "Incorrect API key provided", type: "invalid_request_error" } });

    const error = await writer().write(createRequest()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).hint).toContain("OPENAI_API_KEY");
    expect((error as Error).message).not.toContain("test-key");
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("rethrows a 429 after the SDK's two retries, for the queue to retry later", async () => {
    const scope = nock(BASE)
      .post(PATH)
      .times(3)
      .reply(429, { error: { message: "Rate limit reached" } }, { "retry-after-ms": "1" });

    const error = await writer().write(createRequest()).catch((e: unknown) => e);

    expect(error).not.toBeInstanceOf(PermanentError);
    expect(isRetryable(error)).toBe(true);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("switches to max_completion_tokens when the model refuses max_tokens", async () => {
    const limits: string[] = [];
    const record = (body: Record<string, unknown>) => {
      limits.push(Object.keys(body).filter((k) => k.startsWith("max_")).join(","));
      return true;
    };
    const scope = nock(BASE)
      .post(PATH, record)
      .reply(400, { error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." } })
      .post(PATH, record)
      .reply(200, completion(JSON.stringify(APP)));

    await writer({ maxOutputTokens: 4000 }).write(createRequest());

    expect(limits).toEqual(["max_tokens", "max_completion_tokens"]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("keeps the deletions of a revision and drops those of a new app", async () => {
    const answer = JSON.stringify({ ...APP, deletions: ["old.js"] });
    const scope = nock(BASE).post(PATH).times(2).reply(200, completion(answer));
    const w = writer();

    const created = await w.write(createRequest());
    const revised = await w.write({
      kind: "revise",
      task: "sales-summary",
      round: 2,
      brief: "Add a chart.",
      checks: [],
      attachments: [],
      currentFiles: [{ path: "old.js", content: "1" }],
      spentUsd: 0,
      maxCostUsd: 1,
    });

    expect(created.deletions).toEqual([]);
    expect(revised.deletions).toEqual(["old.js"]);
    expect(scope.pendingMocks()).toEqual([]);
  });
});
