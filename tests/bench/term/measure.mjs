// The one measuring client of the terminal benchmark, used against both servers (Refine's daemon
// and the node-pty + ws relay in relay.mjs) so both are measured the same way.
//
// Usage: node measure.mjs '<JSON config>' where the config is
//   { "refine": { "url": "http://127.0.0.1:N", "token": "...", "app": "<app id>" },
//     "peer": { "url": "ws://127.0.0.1:M" },
//     "cwd": "<dir>", "file": "<text file>", "sentinel": "<text not in the file>",
//     "runs": 3, "samples": 1000, "warmup": 100, "gapMs": 2,
//     "load": { "floods": 16, "samples": 500, "seconds": 300 } }
// and prints one JSON object with the figures (the bench binary formats them).
//
// Throughput: the program is `bash -c 'read -r _; cat FILE; echo SENTINEL; exec sleep 600'`;
// once attached the client sends Enter, starts the clock and counts every output byte until the
// sentinel arrives (then closes the session).
// Echo: the program is `bash -c 'stty -icanon; exec cat >/dev/null'`, so the PTY's own line
// discipline echoes each typed byte; the client sends one byte, waits until it comes back, pauses
// `gapMs`, and repeats. Both sides get the same argv, size and working directory.
// Echo under load: the same echo, while `load.floods` other terminals on the same server flood
// output (`timeout SECONDS yes LINE`), each attached and read to the end by a client in a worker
// thread (its own event loop, so reading the floods does not queue behind the echo or the other
// way round); the worker also counts the flood bytes delivered while the echo is measured.

import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { WebSocket } from "ws";

const cfg = isMainThread ? JSON.parse(process.argv[2]) : workerData.cfg;
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

/** The flood clients (worker thread): open `n` flooding terminals on `target`, read them all. */
async function floods(target, n) {
  const line = "flood 0123456789 the quick brown fox jumps over the lazy dog ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const argv = ["timeout", String(cfg.load?.seconds ?? 300), "yes", line];
  const sessions = [];
  let bytes = 0;
  let started = 0;
  for (let i = 0; i < n; i++) {
    const s = await open(target, argv);
    let first = true;
    s.ws.on("message", (data, isBinary) => {
      if (!isBinary) return;
      bytes += data.length;
      if (first && data.length > 0) {
        first = false;
        started += 1;
      }
    });
    sessions.push(s);
  }
  const t = Date.now();
  while (started < n && Date.now() - t < 10000) await new Promise((r) => setTimeout(r, 20));
  let t0 = process.hrtime.bigint();
  let b0 = bytes;
  parentPort.on("message", async (m) => {
    if (m === "mark") {
      t0 = process.hrtime.bigint();
      b0 = bytes;
    } else if (m === "stop") {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      const got = bytes - b0;
      await Promise.all(sessions.map((s) => s.close()));
      parentPort.postMessage({ type: "done", bytes: got, secs, started });
    }
  });
  parentPort.postMessage({ type: "ready", started });
}

/** Echo on one terminal while `load.floods` others flood output on the same server. */
async function echoUnderLoad(target, samples) {
  const n = cfg.load?.floods ?? 16;
  const worker = new Worker(new URL(import.meta.url), { workerData: { cfg, target, n } });
  const next = () =>
    new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  const ready = await next();
  if (ready.started < n) throw new Error(`${target}: only ${ready.started} of ${n} floods started`);
  // Let the floods reach their steady state first.
  await new Promise((r) => setTimeout(r, 500));
  worker.postMessage("mark");
  const lat = await echo(target, samples);
  const finished = next();
  worker.postMessage("stop");
  const done = await finished;
  await worker.terminate();
  return { lat, floodBytes: done.bytes, floodSecs: done.secs };
}

if (!isMainThread) {
  await floods(workerData.target, workerData.n);
} else {
  const result = { refine: { runs: [] }, peer: { runs: [] } };
  const runs = cfg.runs ?? 3;
  // Alternate which side goes first so neither always runs on a warmer (or busier) machine.
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? ["refine", "peer"] : ["peer", "refine"];
    for (const t of order) result[t].runs.push(await throughput(t));
  }
  const summary = (v) => {
    const s = v.sort((a, b) => a - b);
    return { samples: s.length, p50: pct(s, 0.5), p99: pct(s, 0.99), max: s[s.length - 1] };
  };
  // Echo in ABBA halves for the same reason.
  const half = Math.ceil((cfg.samples ?? 1000) / 2);
  const lat = { refine: [], peer: [] };
  if (half > 0) {
    for (const t of ["refine", "peer", "peer", "refine"]) lat[t].push(...(await echo(t, half)));
    for (const t of ["refine", "peer"]) result[t].echo = summary(lat[t]);
  }
  if (cfg.load) {
    // Under load, ABBA too.
    const halfLoaded = Math.ceil((cfg.load.samples ?? 500) / 2);
    const loaded = { refine: [], peer: [] };
    const flood = { refine: { bytes: 0, secs: 0 }, peer: { bytes: 0, secs: 0 } };
    for (const t of ["refine", "peer", "peer", "refine"]) {
      const r = await echoUnderLoad(t, halfLoaded);
      loaded[t].push(...r.lat);
      flood[t].bytes += r.floodBytes;
      flood[t].secs += r.floodSecs;
    }
    for (const t of ["refine", "peer"]) {
      result[t].loaded = {
        ...summary(loaded[t]),
        floods: cfg.load.floods ?? 16,
        floodMBps: flood[t].bytes / 1e6 / Math.max(flood[t].secs, 1e-9),
      };
    }
  }
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}
