// The peer of the terminal benchmark: a PTY → WebSocket relay on node-pty + ws, the stack behind
// VS Code's and wetty's terminals, written the plain way such relays are: one PTY per
// connection, every chunk node-pty reads goes out at once as one message (no timer batching, no
// ack-based flow control), input frames are written to the PTY as they come.
//
// Same protocol shape as Refine's `GET /api/v1/terminal/{id}/ws`: the server sends the
// scrollback first as one binary message (empty here: the program starts with the connection),
// then output as binary messages; the client sends input as binary frames and resizes as a text
// frame `{"type":"resize","cols":N,"rows":M}`; when the program ends the server sends
// `{"type":"exit","code":N}` and closes.
//
// Usage: node relay.mjs → prints `{"port":N}` once listening on 127.0.0.1. A client connects to
// ws://127.0.0.1:N/?argv=<JSON array>&cwd=<dir>&cols=N&rows=M.

import http from "node:http";
import pty from "node-pty";
import { WebSocketServer } from "ws";

const server = http.createServer((_req, res) => {
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on("connection", (ws, req) => {
  const q = new URL(req.url, "http://localhost").searchParams;
  let argv;
  try {
    argv = JSON.parse(q.get("argv") ?? "[]");
  } catch {
    argv = [];
  }
  if (!Array.isArray(argv) || argv.length === 0) {
    ws.close(1008, "argv is missing");
    return;
  }
  const term = pty.spawn(argv[0], argv.slice(1), {
    name: "xterm-256color",
    cols: Number(q.get("cols") ?? 80),
    rows: Number(q.get("rows") ?? 24),
    cwd: q.get("cwd") ?? process.cwd(),
    env: { ...process.env, TERM: "xterm-256color", COLORTERM: "truecolor" },
    // Bytes, not strings: binary frames out, like Refine (and no UTF-8 decode cost per chunk).
    encoding: null,
  });
  ws.send(Buffer.alloc(0));
  term.onData((chunk) => {
    if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
  });
  term.onExit(({ exitCode }) => {
    if (ws.readyState === ws.OPEN) {
      ws.send(JSON.stringify({ type: "exit", code: exitCode }));
      ws.close();
    }
  });
  ws.on("message", (data, isBinary) => {
    if (!isBinary) {
      const s = data.toString();
      if (s.startsWith("{")) {
        try {
          const m = JSON.parse(s);
          if (m.type === "resize") {
            term.resize(m.cols, m.rows);
            return;
          }
        } catch {
          // not control: typed text
        }
      }
      term.write(s);
      return;
    }
    term.write(Buffer.isBuffer(data) ? data : Buffer.concat(data));
  });
  ws.on("close", () => {
    try {
      term.kill("SIGHUP");
    } catch {
      // already gone
    }
  });
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
process.on("SIGTERM", () => process.exit(0));
