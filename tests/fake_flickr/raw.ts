/**
 * A tiny raw HTTP/1.1 responder on its own 127.0.0.1 port, for the byte-level
 * faults `Deno.serve` cannot produce: a close-delimited body (no
 * Content-Length, no chunking), a Content-Length smaller than the bytes
 * written, and duplicate conflicting Content-Length headers. The main server
 * 307-redirects a matching request here (same path and query) after queuing
 * a ticket with the reply and the fault; one request per connection, always
 * `Connection: close`.
 *
 * @module
 */

import type { Reply } from "./files.ts";
import type { FaultRule } from "./faults.ts";

/** A queued faulty reply for one path + query. */
export interface RawTicket {
  reply: Reply;
  rule: FaultRule;
}

/** What the raw port saw, reported to the server's request log. */
export interface RawRequestInfo {
  method: string;
  target: string;
  headers: Record<string, string>;
  status: number;
  bodyBytes: number;
  fault?: string;
}

const REASONS: Record<number, string> = {
  200: "OK",
  206: "Partial Content",
  302: "Found",
  404: "Not Found",
};

/** The raw responder. */
export class RawResponder {
  readonly #listener: Deno.Listener;
  readonly #tickets = new Map<string, RawTicket[]>();
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #onRequest: (info: RawRequestInfo) => void;
  readonly #loop: Promise<void>;
  #closed = false;
  /** Origin of the raw port, e.g. "http://127.0.0.1:40123". */
  readonly url: string;

  constructor(onRequest: (info: RawRequestInfo) => void) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const addr = this.#listener.addr as Deno.NetAddr;
    this.url = `http://127.0.0.1:${addr.port}`;
    this.#onRequest = onRequest;
    this.#loop = this.#accept();
  }

  /** Queues a faulty reply for the next request of `target` (path+query). */
  enqueue(target: string, ticket: RawTicket): void {
    const list = this.#tickets.get(target) ?? [];
    list.push(ticket);
    this.#tickets.set(target, list);
  }

  async #accept(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // listener closed
      }
      this.#conns.add(conn);
      const task = this.#serve(conn).finally(() => {
        this.#conns.delete(conn);
        this.#tasks.delete(task);
      });
      this.#tasks.add(task);
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    try {
      const head = await readHead(conn);
      if (!head) return;
      const ticket = this.#tickets.get(head.target)?.shift();
      if (!ticket) {
        const body = new TextEncoder().encode("no raw reply queued\n");
        await writeAll(
          conn,
          new TextEncoder().encode(
            `HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
          ),
        );
        await writeAll(conn, body);
        this.#onRequest({ ...head, status: 404, bodyBytes: body.length });
        return;
      }
      const sent = await this.#write(conn, ticket, head.method === "HEAD");
      this.#onRequest({
        ...head,
        status: ticket.reply.status,
        bodyBytes: sent,
        fault: ticket.rule.kind,
      });
    } catch {
      // The peer went away or the responder is closing: nothing to answer.
    } finally {
      try {
        conn.close();
      } catch {
        // already closed by close()
      }
    }
  }

  async #write(
    conn: Deno.Conn,
    ticket: RawTicket,
    isHead: boolean,
  ): Promise<number> {
    const { reply, rule } = ticket;
    const size = reply.body?.size ?? 0;
    let lines = `HTTP/1.1 ${reply.status} ${
      REASONS[reply.status] ?? "Status"
    }\r\n`;
    reply.headers.forEach((value, name) => {
      if (
        ["content-length", "transfer-encoding", "connection"].includes(name)
      ) {
        return;
      }
      lines += `${name}: ${value}\r\n`;
    });
    let limit = size;
    if (rule.kind === "closeDelimited") {
      limit = Math.min(size, rule.sendBytes ?? size);
    } else if (rule.kind === "overlongBody") {
      lines += `content-length: ${rule.declaredLength}\r\n`;
    } else if (rule.kind === "duplicateContentLength") {
      const [a, b] = rule.lengths ?? [size, size + 10];
      lines += `content-length: ${a}\r\ncontent-length: ${b}\r\n`;
    } else {
      lines += `content-length: ${size}\r\n`;
    }
    lines += "connection: close\r\n\r\n";
    await writeAll(conn, new TextEncoder().encode(lines));
    if (isHead || !reply.body) return 0;
    let sent = 0;
    for (const chunk of reply.body.read(0, limit)) {
      await writeAll(conn, chunk);
      sent += chunk.length;
    }
    return sent;
  }

  /** Closes the listener and every open connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await this.#loop;
    await Promise.allSettled([...this.#tasks]);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

async function readHead(
  conn: Deno.Conn,
): Promise<
  | { method: string; target: string; headers: Record<string, string> }
  | undefined
> {
  const buf = new Uint8Array(64 * 1024);
  let len = 0;
  while (len < buf.length) {
    const n = await conn.read(buf.subarray(len));
    if (n === null) return undefined;
    len += n;
    const text = new TextDecoder().decode(buf.subarray(0, len));
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) continue;
    const [requestLine = "", ...headerLines] = text.slice(0, end).split("\r\n");
    const [method = "GET", target = "/"] = requestLine.split(" ");
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const i = line.indexOf(":");
      if (i > 0) {
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1)
          .trim();
      }
    }
    return { method, target, headers };
  }
  return undefined;
}
