import { errorMessage } from "./submit-brief.js";

/** One Server-Sent Event as the stream delivered it. */
export interface SseEvent {
  /** The last `id:` seen so far (the spec's "last event ID"), or null when none was sent. */
  id: string | null;
  /** `event:` field; "message" when the server sent none. */
  event: string;
  /** `data:` lines joined with "\n". */
  data: string;
}

/**
 * An incremental `text/event-stream` parser (WHATWG HTML, "event stream interpretation"): feed it chunks as
 * they arrive, split anywhere, and it returns the events completed so far. Comments (`: keep-alive`) and
 * `retry:` are ignored; an event without data is not dispatched.
 */
export class SseParser {
  private buffer = "";
  /** A chunk ended with "\r": a "\n" opening the next chunk belongs to the same line end. */
  private pendingCr = false;
  private lastId: string | null = null;
  private eventType = "";
  private data: string[] = [];

  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (this.pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone "\r" at the very end may be half of "\r\n": wait for the next chunk only if it is the last byte.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) this.pendingCr = true;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  /** The stream ended: a half-received event is dropped, as the spec says. */
  end(): void {
    this.buffer = "";
    this.pendingCr = false;
    this.eventType = "";
    this.data = [];
  }

  get lastEventId(): string | null {
    return this.lastId;
  }

  private line(line: string): SseEvent | null {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.eventType = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.lastId = value;
    return null;
  }

  private dispatch(): SseEvent | null {
    const event = this.data.length > 0 ? { id: this.lastId, event: this.eventType || "message", data: this.data.join("\n") } : null;
    this.eventType = "";
    this.data = [];
    return event;
  }
}

export interface FollowEventsOptions {
  /** The stream's URL, e.g. http://localhost:3000/api/briefs/br_123/events. */
  url: string;
  /** Sent as `Authorization: Bearer <secret>`. */
  secret: string;
  onEvent: (event: SseEvent) => void;
  /** Event types after which the stream is complete. */
  terminal?: ReadonlySet<string>;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** How long to wait, after a terminal event, for the server to close the stream (ms). */
  closeGraceMs?: number;
}

export class EventStreamError extends Error {
  override name = "EventStreamError";
  constructor(
    message: string,
    /** The HTTP status when the server refused the stream. */
    readonly status?: number,
  ) {
    super(message);
  }
}

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/**
 * Reads a brief's event stream until the server closes it after a terminal event (it does so once the
 * job's final state is stored, so a status fetched next agrees; after `closeGraceMs` the client stops
 * waiting). A connection that drops before the end is opened again with `Last-Event-ID`, so the server
 * replays only what was missed; a reconnect that brings new events earns another, two drops in a row fail.
 */
export async function followEvents(options: FollowEventsOptions): Promise<{ last: SseEvent | null }> {
  const doFetch = options.fetch ?? fetch;
  const terminal = options.terminal ?? TERMINAL;
  const graceMs = options.closeGraceMs ?? 5_000;
  let lastId: string | null = null;
  let last: SseEvent | null = null;
  let reconnected = false;
  let ended = false;
  for (;;) {
    let progressed = false;
    let dropped: string;
    const connection = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, connection.signal]) : connection.signal;
    let grace: NodeJS.Timeout | undefined;
    try {
      const headers: Record<string, string> = { accept: "text/event-stream", authorization: `Bearer ${options.secret}` };
      if (lastId !== null) headers["last-event-id"] = lastId;
      const res = await doFetch(options.url, { headers, signal });
      if (!res.ok) throw new EventStreamError(await errorMessage(res), res.status);
      if (!res.body) throw new EventStreamError("the event stream has no body");
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
          if (event.id !== null) lastId = event.id;
          progressed = true;
          last = event;
          options.onEvent(event);
          if (terminal.has(event.event) && !ended) {
            ended = true;
            grace = setTimeout(() => connection.abort(), graceMs);
          }
        }
      }
      parser.end();
      if (ended) return { last };
      dropped = "the server closed the event stream before the job ended";
    } catch (error) {
      if (error instanceof EventStreamError || options.signal?.aborted) throw error;
      if (ended) return { last };
      dropped = `the event stream broke: ${(error as Error).message}`;
    } finally {
      clearTimeout(grace);
    }
    if (reconnected && !progressed) throw new EventStreamError(dropped);
    reconnected = true;
  }
}
