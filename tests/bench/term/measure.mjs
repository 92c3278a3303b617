// The one measuring client of the terminal benchmark, used against both servers (Refine's daemon
// and the node-pty + ws relay in relay.mjs) so both are measured the same way.
//
// Usage: node measure.mjs '<JSON config>' where the config is
//   { "refine": { "url": "http://127.0.0.1:N", "token": "...", "app": "<app id>" },
//     "peer": { "url": "ws://127.0.0.1:M" },
//     "cwd": "<dir>", "file": "<text file>", "sentinel": "<text not in the file>",
//     "runs": 3, "samples": 1000, "warmup": 100, "gapMs": 2 }
// and prints one JSON object with the figures (the bench binary formats them).
//
// Throughput: the program is `bash -c 'read -r _; cat FILE; echo SENTINEL; exec sleep 600'`;
// once attached the client sends Enter, starts the clock and counts every output byte until the
// sentinel arrives (then closes the session).
// Echo: the program is `bash -c 'stty -icanon; exec cat >/dev/null'`, so the PTY's own line
// discipline echoes each typed byte; the client sends one byte, waits until it comes back, pauses
// `gapMs`, and repeats. Both sides get the same argv, size and working directory.

import { WebSocket } from "ws";

const cfg = JSON.parse(process.argv[2]);
const SENTINEL = cfg.sentinel ?? "__REFINE_BENCH_END__";
const COLS = 120;
const ROWS = 40;

const shq = (s) => `'${s.replaceAll("'", `'\\''`)}'`;

/** One terminal session on either server: { ws, close() } after the scrollback message. */
async function open(target, argv) {
  let ws;
  let close = async () => {};
  if (target === "refine") {
    const { url, token, app } = cfg.refine;
    const r = await fetch(`${url}/api/v1/terminal`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ appId: app, argv, cols: COLS, rows: ROWS }),
    });
    const info = await r.json();
    if (!r.ok) throw new Error(`terminal.create: ${r.status} ${JSON.stringify(info)}`);
    const id = info.id ?? info.value?.id;
    ws = new WebSocket(`${url.replace(/^http/, "ws")}/api/v1/terminal/${id}/ws`, {
      headers: { authorization: `Bearer ${token}` },
      perMessageDeflate: false,
      maxPayload: 0,
    });
    close = async () => {
      await fetch(`${url}/api/v1/terminal/${id}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${token}` },
      });
    };
  } else {
    const q = new URLSearchParams({
      argv: JSON.stringify(argv),
      cwd: cfg.cwd,
      cols: String(COLS),
      rows: String(ROWS),
    });
    ws = new WebSocket(`${cfg.peer.url}/?${q}`, { perMessageDeflate: false, maxPayload: 0 });
  }
  ws.binaryType = "nodebuffer";
  // The first message is the scrollback.
  await new Promise((resolve, reject) => {
    ws.once("message", resolve);
    ws.once("error", reject);
    ws.once("close", () => reject(new Error(`${target}: closed before the scrollback`)));
  });
  ws.removeAllListeners("error");
  ws.removeAllListeners("close");
  return {
    ws,
    async close() {
      ws.removeAllListeners("message");
      const closed = new Promise((r) => ws.once("close", r));
      ws.close();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
      await close();
    },
  };
}

async function throughput(target) {
  const argv = [
    "bash",
    "--noprofile",
    "--norc",
    "-c",
    // The program stays after the sentinel: node-pty can drop the last output when the
    // program exits right after writing it (exit races the final reads).
    `read -r _; cat ${shq(cfg.file)}; echo ${SENTINEL}; exec sleep 600`,
  ];
  const { ws, close } = await open(target, argv);
  const end = Buffer.from(SENTINEL);
  let bytes = 0;
  let messages = 0;
  let lagged = 0;
  let missed = 0;
  let tail = Buffer.alloc(0);
  let t0;
  const done = new Promise((resolve, reject) => {
    ws.on("message", (data, isBinary) => {
      if (!isBinary) {
        const m = JSON.parse(data.toString());
        if (m.type === "lagged") {
          lagged += 1;
          missed += m.missed ?? 0;
        } else if (m.type === "exit") {
          reject(new Error(`${target}: the program exited before the sentinel`));
        }
        return;
      }
      bytes += data.length;
      messages += 1;
      const look = tail.length ? Buffer.concat([tail, data]) : data;
      if (look.indexOf(end) >= 0) {
        resolve(process.hrtime.bigint());
        return;
      }
      tail = Buffer.from(look.subarray(Math.max(0, look.length - end.length)));
    });
    ws.on("close", () => reject(new Error(`${target}: closed before the sentinel`)));
  });
  t0 = process.hrtime.bigint();
  ws.send(Buffer.from("\r"));
  const t1 = await done;
  await close();
  const secs = Number(t1 - t0) / 1e9;
  return { secs, bytes, messages, lagged, missed, mbps: bytes / 1e6 / secs };
}

async function echo(target, samples) {
  const argv = ["bash", "--noprofile", "--norc", "-c", "stty -icanon; exec cat >/dev/null"];
  const { ws, close } = await open(target, argv);
  const out = [];
  let want = -1;
  let sent = 0n;
  let got = null;
  ws.on("message", (data, isBinary) => {
    if (!isBinary || want < 0) return;
    if (data.indexOf(want) >= 0) {
      const t = process.hrtime.bigint();
      want = -1;
      got(t);
    }
  });
  const warmup = cfg.warmup ?? 100;
  for (let i = 0; i < warmup + samples; i++) {
    const byte = 97 + (i % 26);
    const back = new Promise((r) => (got = r));
    want = byte;
    sent = process.hrtime.bigint();
    ws.send(Buffer.from([byte]));
    const t = await Promise.race([back, new Promise((r) => setTimeout(() => r(null), 5000))]);
    if (t === null) throw new Error(`${target}: no echo of keystroke ${i} within 5 s`);
    if (i >= warmup) out.push(Number(t - sent) / 1e6);
    await new Promise((r) => setTimeout(r, cfg.gapMs ?? 2));
  }
  await close();
  return out;
}

function pct(sorted, p) {
  const i = Math.round((sorted.length - 1) * p);
  return sorted[Math.min(i, sorted.length - 1)];
}

const result = { refine: { runs: [] }, peer: { runs: [] } };
const runs = cfg.runs ?? 3;
// Alternate which side goes first so neither always runs on a warmer (or busier) machine.
for (let r = 0; r < runs; r++) {
  const order = r % 2 === 0 ? ["refine", "peer"] : ["peer", "refine"];
  for (const t of order) result[t].runs.push(await throughput(t));
}
// Echo in ABBA halves for the same reason.
const half = Math.ceil((cfg.samples ?? 1000) / 2);
const lat = { refine: [], peer: [] };
for (const t of ["refine", "peer", "peer", "refine"]) lat[t].push(...(await echo(t, half)));
for (const t of ["refine", "peer"]) {
  const s = lat[t].sort((a, b) => a - b);
  result[t].echo = {
    samples: s.length,
    p50: pct(s, 0.5),
    p99: pct(s, 0.99),
    max: s[s.length - 1],
  };
}
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0);
