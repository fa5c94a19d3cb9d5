import { costUsd, estimateTokens, IMAGE_TOKENS, parsePrice } from "../../src/model/cost.js";

describe("parsePrice", () => {
  it("reads input and output prices per million tokens", () => {
    expect(parsePrice("0.15:0.60")).toEqual({ inputPerMTok: 0.15, outputPerMTok: 0.6 });
    expect(parsePrice("3:15")).toEqual({ inputPerMTok: 3, outputPerMTok: 15 });
  });

  it("rejects a price that is not input:output", () => {
    expect(() => parsePrice("0.15")).toThrow("must look like 0.15:0.60");
    expect(() => parsePrice("a:b")).toThrow("must look like 0.15:0.60");
  });
});

describe("costUsd", () => {
  it("prices prompt and completion tokens separately", () => {
    expect(costUsd({ promptTokens: 2_000_000, completionTokens: 500_000 }, { inputPerMTok: 0.15, outputPerMTok: 0.6 })).toBeCloseTo(0.6, 10);
  });
});

describe("estimateTokens", () => {
  it("counts text with the tokenizer plus chat framing", () => {
    const short = estimateTokens([{ role: "user", content: "hello" }]);
    const long = estimateTokens([{ role: "user", content: "hello ".repeat(100) }]);

    expect(short).toBeGreaterThan(1);
    expect(long).toBeGreaterThan(short + 90);
  });

  it("counts each image part as a flat amount", () => {
    const text = estimateTokens([{ role: "user", content: [{ type: "text", text: "see" }] }]);
    const withImages = estimateTokens([
      {
        role: "user",
        content: [
          { type: "text", text: "see" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          { type: "image_url", image_url: { url: "data:image/png;base64,BBBB" } },
        ],
      },
    ]);

    expect(withImages - text).toBe(2 * IMAGE_TOKENS);
  });

  it("counts special-token text in a brief as plain text instead of failing", () => {
    expect(estimateTokens([{ role: "user", content: "<|endoftext|> <|im_start|>" }])).toBeGreaterThan(5);
  });
});
