import { SseParser, type SseEvent } from "../../src/cli/follow-events.js";

function parseAll(chunks: string[]): SseEvent[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

const STREAM = 'id: 1\nevent: queued\ndata: {"task":"t"}\n\nid: 2\nevent: step.started\ndata: {"step":"generate"}\n\n';

describe("SseParser", () => {
  test("parses id, event and data of each event", () => {
    expect(parseAll([STREAM])).toEqual([
      { id: "1", event: "queued", data: '{"task":"t"}' },
      { id: "2", event: "step.started", data: '{"step":"generate"}' },
    ]);
  });

  test("gives the same events however the stream is split into chunks", () => {
    const whole = parseAll([STREAM]);
    for (let at = 1; at < STREAM.length; at++) {
      expect(parseAll([STREAM.slice(0, at), STREAM.slice(at)])).toEqual(whole);
    }
    expect(parseAll([...STREAM])).toEqual(whole);
  });

  test("joins multi-line data with newlines", () => {
    expect(parseAll(["event: note\ndata: first\ndata:second\ndata:  third\n\n"])).toEqual([{ id: null, event: "note", data: "first\nsecond\n third" }]);
  });

  test("ignores comments such as heartbeats and unknown fields", () => {
    expect(parseAll([": keep-alive\n\n", "retry: 1000\nfoo: bar\n", ": keep-alive\n", "data: x\n\n"])).toEqual([{ id: null, event: "message", data: "x" }]);
  });

  test("treats \\r\\n split across chunks as one line end, and a lone \\r as a line end", () => {
    expect(parseAll(["event: a\r", "\ndata: 1\r", "\n\r", "\n"])).toEqual([{ id: null, event: "a", data: "1" }]);
    expect(parseAll(["event: b\rdata: 2\r\r"])).toEqual([{ id: null, event: "b", data: "2" }]);
  });

  test("does not dispatch an event without data, and keeps the last id for later events", () => {
    expect(parseAll(["id: 7\nevent: empty\n\n", "event: next\ndata: y\n\n"])).toEqual([{ id: "7", event: "next", data: "y" }]);
  });

  test("drops an event that the stream ended in the middle of", () => {
    const parser = new SseParser();
    expect(parser.push("event: half\ndata: z\n")).toEqual([]);
    parser.end();
    expect(parser.push("\n")).toEqual([]);
  });
});
