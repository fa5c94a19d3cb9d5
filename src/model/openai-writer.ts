import OpenAI from "openai";
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { Logger } from "pino";
import { countTokens } from "gpt-tokenizer";
import type { AppWriter, Usage, WriteRequest, WriteResult } from "./app-writer.js";
import { PermanentError } from "../pipeline/errors.js";
import { costUsd, estimateTokens, type Price } from "./cost.js";
import { buildMessages, invalidAnswerMessage } from "./prompt.js";
import { parseWriterOutput, WRITER_OUTPUT_SCHEMA_NAME, writerOutputJsonSchema, WriterOutputError, type WriterOutput } from "./writer-output.js";

export interface OpenAIWriterOptions {
  apiKey: string;
  /** Any OpenAI-compatible endpoint; the SDK's default (api.openai.com) when absent. */
  baseURL?: string;
  model: string;
  /** Send image attachments as image parts. */
  vision: boolean;
  timeoutMs: number;
  price: Price;
  /** Sent as the output limit, and used as the output side of the cost estimate. */
  maxOutputTokens?: number;
  log?: Logger;
  /** For tests and custom transports; built from the options above when absent. */
  client?: OpenAI;
}

/** Structured output modes, best first; providers without json_schema get the next one. */
type FormatMode = "json_schema" | "json_object" | "none";
/** OpenAI's reasoning models refuse `max_tokens`; most other providers only know it. */
type TokenParam = "max_tokens" | "max_completion_tokens";

const SDK_RETRIES = 2;

/** A permanent failure after some calls were made: carries what they cost, so the brief's spending stays true. */
export class WriterError extends PermanentError {
  constructor(
    message: string,
    hint: string,
    readonly usage: Usage,
  ) {
    super(message, hint);
  }
}

/** Writes the app through Chat Completions on any OpenAI-compatible endpoint. */
export class OpenAIWriter implements AppWriter {
  readonly kind = "openai" as const;
  readonly model: string;
  private readonly client: OpenAI;
  private readonly maxOutputTokens: number;
  /** Learned per instance: the first rejection of a mode moves every later call to the next one. */
  private mode: FormatMode = "json_schema";
  private tokenParam: TokenParam = "max_tokens";

  constructor(private readonly options: OpenAIWriterOptions) {
    this.model = options.model;
    this.maxOutputTokens = options.maxOutputTokens ?? 16_000;
    this.client =
      options.client ??
      new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL, timeout: options.timeoutMs, maxRetries: SDK_RETRIES });
  }

  async write(request: WriteRequest, signal?: AbortSignal): Promise<WriteResult> {
    const usage: Usage = { promptTokens: 0, completionTokens: 0, costUsd: 0, calls: 0 };
    const messages = buildMessages(request, { vision: this.options.vision });
    const first = await this.complete(messages, request, usage, signal);
    let parsed = this.validate(first.content, request);
    if (!parsed.ok) {
      this.options.log?.warn({ step: "generate", problem: parsed.problem }, "model answer invalid, asking once to fix it");
      const followUp: ChatCompletionMessageParam[] = [
        ...messages,
        { role: "assistant", content: first.content || "(empty answer)" },
        invalidAnswerMessage(parsed.problem, first.truncated),
      ];
      const second = await this.complete(followUp, request, usage, signal);
      parsed = this.validate(second.content, request);
      if (!parsed.ok) {
        throw new WriterError(
          `the model's answer was not a valid app: ${parsed.problem}`,
          `try again, or choose a stronger model in LLM_MODEL (now ${this.model})`,
          usage,
        );
      }
    }
    if (parsed.output.notes.length > 0) this.options.log?.warn({ step: "generate", notes: parsed.output.notes }, "model answer adjusted");
    const { files, deletions, summary } = parsed.output;
    return { files, deletions: request.kind === "create" ? [] : deletions, summary, usage };
  }

  /** One completion, within the cost cap, in the best response format the provider accepts. */
  private async complete(
    messages: ChatCompletionMessageParam[],
    request: WriteRequest,
    usage: Usage,
    signal: AbortSignal | undefined,
  ): Promise<{ content: string; truncated: boolean }> {
    const promptEstimate = estimateTokens(messages);
    // Upper bound: the estimated prompt plus the whole output limit, which the provider enforces.
    const estimate = costUsd({ promptTokens: promptEstimate, completionTokens: this.maxOutputTokens }, this.options.price);
    const spent = request.spentUsd + usage.costUsd;
    if (spent + estimate > request.maxCostUsd) {
      throw new WriterError(
        `the cost cap would be exceeded: the next model call may cost up to $${estimate.toFixed(4)}, $${spent.toFixed(4)} is already spent on this brief, and BRIEF_MAX_COST_USD is $${request.maxCostUsd}`,
        "raise BRIEF_MAX_COST_USD, or shorten the brief and its attachments",
        usage,
      );
    }
    for (;;) {
      try {
        const response = await this.client.chat.completions.create(this.body(messages), {
          signal,
          timeout: this.options.timeoutMs,
          maxRetries: SDK_RETRIES,
        });
        const choice = response.choices[0];
        if (choice?.message.refusal) {
          throw new WriterError(`the model refused to write the app: ${choice.message.refusal.slice(0, 300)}`, "rephrase the brief", usage);
        }
        const content = choice?.message.content ?? "";
        // Some compatible servers omit usage; then the local estimate stands in for the bill.
        const promptTokens = response.usage?.prompt_tokens ?? promptEstimate;
        const completionTokens = response.usage?.completion_tokens ?? countTokens(content, { disallowedSpecial: new Set<string>() });
        usage.promptTokens += promptTokens;
        usage.completionTokens += completionTokens;
        usage.costUsd += costUsd({ promptTokens, completionTokens }, this.options.price);
        usage.calls += 1;
        this.options.log?.info(
          { step: "generate", model: this.model, mode: this.mode, promptTokens, completionTokens, finishReason: choice?.finish_reason },
          "model call done",
        );
        return { content, truncated: choice?.finish_reason === "length" };
      } catch (error) {
        if (this.fallBack(error)) continue;
        throw this.classify(error, usage);
      }
    }
  }

  private body(messages: ChatCompletionMessageParam[]): ChatCompletionCreateParamsNonStreaming {
    const body: ChatCompletionCreateParamsNonStreaming = { model: this.model, messages };
    body[this.tokenParam] = this.maxOutputTokens;
    if (this.mode === "json_schema") {
      body.response_format = {
        type: "json_schema",
        json_schema: { name: WRITER_OUTPUT_SCHEMA_NAME, strict: true, schema: writerOutputJsonSchema },
      };
    } else if (this.mode === "json_object") {
      body.response_format = { type: "json_object" };
    }
    return body;
  }

  /** Moves to the next mode when the provider rejected a parameter it does not support; true to try again. */
  private fallBack(error: unknown): boolean {
    if (!(error instanceof OpenAI.APIError) || (error.status !== 400 && error.status !== 422)) return false;
    const message = error.message;
    if (this.tokenParam === "max_tokens" && /max_tokens/.test(message) && /max_completion_tokens/.test(message)) {
      this.tokenParam = "max_completion_tokens";
      return true;
    }
    const aboutFormat = error.status === 422 || /response_format|json_schema|json_object|structured output/i.test(message);
    if (!aboutFormat || this.mode === "none") return false;
    const from = this.mode;
    this.mode = this.mode === "json_schema" ? "json_object" : "none";
    this.options.log?.warn({ step: "generate", from, to: this.mode, status: error.status }, "provider rejected the response format, falling back");
    return true;
  }

  /** Permission and request errors become PermanentErrors that say what to fix; 429, 5xx and network errors go up as they are. */
  private classify(error: unknown, usage: Usage): unknown {
    if (!(error instanceof OpenAI.APIError) || error instanceof OpenAI.APIUserAbortError) return error;
    const status = error.status;
    if (status === undefined || status === 408 || status === 429 || status >= 500) return error;
    const detail = error.message.slice(0, 300);
    if (status === 401 || status === 403) {
      if (/rate limit/i.test(detail)) return error;
      return new WriterError(`the model provider refused the credentials: ${detail}`, "check OPENAI_API_KEY (and OPENAI_BASE_URL for a provider other than OpenAI)", usage);
    }
    if (status === 404) {
      return new WriterError(`the model provider does not know this model or endpoint: ${detail}`, `check LLM_MODEL (now ${this.model}) and OPENAI_BASE_URL`, usage);
    }
    return new WriterError(`the model provider rejected the request: ${detail}`, `check LLM_MODEL (now ${this.model}) and OPENAI_BASE_URL`, usage);
  }

  private validate(content: string, request: WriteRequest): { ok: true; output: WriterOutput } | { ok: false; problem: string } {
    try {
      const output = parseWriterOutput(content);
      if (request.kind === "create" && !output.files.some((f) => f.path === "index.html")) {
        throw new WriterOutputError("index.html is missing at the repository root");
      }
      return { ok: true, output: dropAttachmentNames(output, request) };
    } catch (error) {
      if (error instanceof WriterOutputError) return { ok: false, problem: error.message };
      throw error;
    }
  }
}

/** Attachments are committed byte for byte by the pipeline; a model's version of one would replace it. */
function dropAttachmentNames(output: WriterOutput, request: WriteRequest): WriterOutput {
  if (request.kind === "repair") return output;
  const names = new Set(request.attachments.map((a) => a.name.toLowerCase()));
  const files = output.files.filter((f) => {
    if (!names.has(f.path.toLowerCase())) return true;
    output.notes.push(`dropped ${f.path}: it is an attachment, committed as given`);
    return false;
  });
  const deletions = output.deletions.filter((p) => !names.has(p.toLowerCase()));
  return { ...output, files, deletions };
}
