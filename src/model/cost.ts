import { countTokens } from "gpt-tokenizer";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { Usage } from "./app-writer.js";

/** USD per million tokens. */
export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
}

/** What an image part is counted as: about what a 1024×1024 image costs at `detail: auto` on OpenAI models. */
export const IMAGE_TOKENS = 1_000;
/** Chat framing per message (role, separators), as OpenAI's cookbook counts it. */
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_REPLY = 3;
/** Brief text may hold `<|endoftext|>` and the like; it is counted as plain text, never refused. */
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Estimates a prompt's tokens with the o200k tokenizer (GPT-4o and later). Other providers tokenize
 * differently, so this is an estimate for the cost cap, not a bill; the bill comes from the response's usage.
 */
export function estimateTokens(messages: ChatCompletionMessageParam[]): number {
  let total = TOKENS_PER_REPLY;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE;
    const content = "content" in message ? message.content : null;
    if (typeof content === "string") {
      total += countTokens(content, AS_PLAIN_TEXT);
    } else if (Array.isArray(content)) {
      for (const part of content) {
        if (part.type === "text") total += countTokens(part.text, AS_PLAIN_TEXT);
        else if (part.type === "refusal") total += countTokens(part.refusal, AS_PLAIN_TEXT);
        else total += IMAGE_TOKENS;
      }
    }
  }
  return total;
}

export function costUsd(usage: Pick<Usage, "promptTokens" | "completionTokens">, price: Price): number {
  return (usage.promptTokens * price.inputPerMTok + usage.completionTokens * price.outputPerMTok) / 1_000_000;
}

/** Parses `LLM_PRICE_PER_MTOK`, `input:output` in USD per million tokens, e.g. `0.15:0.60`. */
export function parsePrice(text: string): Price {
  const match = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!match) throw new Error(`price "${text}" must look like 0.15:0.60 (USD per million input:output tokens)`);
  return { inputPerMTok: Number(match[1]), outputPerMTok: Number(match[2]) };
}
