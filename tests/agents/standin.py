#!/usr/bin/env python3
"""Model-API stand-in for running real agent CLIs offline (Python 3.11 standard library only).

    python3 standin.py --port 0 --scripts DIR --log FILE [--host 127.0.0.1]

Prints `standin listening on http://127.0.0.1:PORT` once ready, then serves:

  POST /v1/messages            Anthropic Messages, streamed (Claude Code)
  POST /v1/responses           OpenAI Responses, streamed (Codex CLI)
  POST /v1/chat/completions    OpenAI Chat Completions, streamed (opencode and others)
  GET  /v1/models, /models     a minimal model list
  anything else                404 with a JSON error (logged)

A request is matched to a script DIR/NAME.json by the marker `standin-script: NAME` anywhere
in its body (else DIR/default.json). Scripts are re-read on every request. See README.md for
the format. Every request is logged to FILE as one JSON line.
"""

import argparse
import hashlib
import json
import os
import re
import select
import socket
import sys
import threading
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

SCRIPT_MARKER = re.compile(r"standin-script:\s*([A-Za-z0-9_-]+)")
CWD_PATTERNS = [
    re.compile(r"Primary working directory:\s*(/[^\s\"'<>`]+)"),
    re.compile(r"<cwd>\s*(/[^<\s]+)\s*</cwd>"),
    re.compile(r"[Ww]orking directory:\s*(/[^\s\"'<>`]+)"),
]
# The phases Refine runs (crates/refine-core/src/runner.rs: base_prompt starts every prompt
# with "# Refine: {phase} phase"). A script's phase entry may override the match.
KNOWN_PHASES = ("plan", "implement", "quality", "governance", "chat")
CATCH_ALL = ("default", "*")
HANG_LIMIT = 600.0  # a hang never lasts longer than this (the stand-in stops by itself)

ARGS = None
LOG_LOCK = threading.Lock()
COUNT_LOCK = threading.Lock()
COUNTS = {}  # (script, phase, step index) -> times served (for "times")
SEQ = [0]


# ----------------------------------------------------------------------------- helpers

def log(entry):
    entry = {"ts": round(time.time(), 3), **entry}
    line = json.dumps(entry, ensure_ascii=False)
    with LOG_LOCK:
        if ARGS.log:
            with open(ARGS.log, "a", encoding="utf-8") as f:
                f.write(line + "\n")


def strings_in(v):
    """Every string in a JSON value."""
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings_in(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings_in(x)


def find_cwd(body):
    for s in strings_in(body):
        for pat in CWD_PATTERNS:
            m = pat.search(s)
            if m:
                return m.group(1).rstrip(".,;:)")
    return None


def request_key(headers):
    """The API key a request carries (`x-api-key`, or a bearer token), if any."""
    key = headers.get("x-api-key")
    if not key:
        auth = headers.get("authorization") or ""
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    return key or None


def key_sha(key):
    """What the log shows of an API key: the first 12 hex digits of its SHA-1."""
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def short_id(*parts):
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]


def approx_tokens(text):
    return max(1, len(text) // 4)


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


# ----------------------------------------------------------------------------- conversations

def conversation(provider, body):
    """The request's conversation as a list of ("user", text) / ("tool_result", text) /
    ("assistant", text) entries, oldest first."""
    out = []
    if provider == "anthropic":
        for m in body.get("messages", []) or []:
            content = m.get("content")
            if isinstance(content, str):
                out.append((m.get("role"), content))
                continue
            texts = []
            for b in content or []:
                t = b.get("type")
                if t == "tool_result":
                    c = b.get("content")
                    out.append(("tool_result", c if isinstance(c, str) else json.dumps(c)))
                elif t == "text":
                    texts.append(b.get("text", ""))
            if texts:
                out.append((m.get("role"), "\n".join(texts)))
    elif provider == "responses":
        items = body.get("input")
        if isinstance(items, str):
            items = [{"type": "message", "role": "user", "content": items}]
        for it in items or []:
            t = it.get("type", "message")
            if t in ("function_call_output", "custom_tool_call_output",
                     "local_shell_call_output", "tool_search_output"):
                out.append(("tool_result", json.dumps(it.get("output"))))
            elif t == "message":
                c = it.get("content")
                text = c if isinstance(c, str) else "\n".join(
                    x.get("text", "") for x in (c or []) if isinstance(x, dict))
                out.append((it.get("role"), text))
    elif provider == "chat":
        for m in body.get("messages", []) or []:
            role = m.get("role")
            c = m.get("content")
            text = c if isinstance(c, str) else "\n".join(
                x.get("text", "") for x in (c or []) if isinstance(x, dict))
            if role == "tool":
                out.append(("tool_result", text))
            else:
                out.append((role, text))
    return out


def load_script(name):
    path = os.path.join(ARGS.scripts, name + ".json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def phase_entries(script):
    """[(name, [match strings] or None for catch-all, steps)] in script order."""
    phases = script.get("phases")
    if phases is None and "steps" in script:
        phases = {"default": script["steps"]}
    overrides = script.get("phase_match", {})
    out = []
    for name, entry in (phases or {}).items():
        if isinstance(entry, list):
            entry = {"steps": entry}
        match = entry.get("match", overrides.get(name))
        if match is None:
            if name in KNOWN_PHASES:
                match = [f"# Refine: {name} phase"]
            elif name in CATCH_ALL:
                match = None
            else:
                match = [name]
        elif isinstance(match, str):
            match = [match] if match else None
        out.append((name, match, entry.get("steps", [])))
    return out


def choose(provider, body, raw):
    """Pick (script name, script, phase, steps, tool results since the anchor, why)."""
    m = SCRIPT_MARKER.search(raw)
    name = m.group(1) if m else "default"
    # A marker in the *latest* user text wins over older ones (a resumed session may carry
    # an earlier script's marker).
    conv = conversation(provider, body)
    for role, text in reversed(conv):
        if role == "user":
            mm = SCRIPT_MARKER.search(text)
            if mm:
                name = mm.group(1)
                break
    try:
        script = load_script(name)
    except FileNotFoundError:
        return name, None, None, [], 0, f"no script {name}.json in {ARGS.scripts}"
    entries = phase_entries(script)
    specific = [e for e in entries if e[1] is not None]
    catch_all = next((e for e in entries if e[1] is None), None)
    # The anchor: the latest user text that names a phase (else the latest with the marker,
    # else the first user text). Tool results after it give the step.
    anchor, chosen = None, None
    for i in range(len(conv) - 1, -1, -1):
        role, text = conv[i]
        if role != "user":
            continue
        hit = next((e for e in specific if all(s in text for s in e[1])), None)
        if hit:
            anchor, chosen = i, hit
            break
    if chosen is None:
        for i in range(len(conv) - 1, -1, -1):
            if conv[i][0] == "user" and SCRIPT_MARKER.search(conv[i][1]):
                anchor = i
                break
        if anchor is None:
            anchor = next((i for i, (r, _) in enumerate(conv) if r == "user"), 0)
        chosen = catch_all
    if chosen is None:
        return name, script, None, [], 0, "no phase of the script matches the request"
    k = sum(1 for role, _ in conv[anchor + 1:] if role == "tool_result")
    return name, script, chosen[0], chosen[2], k, None


TRANSIENT = ("error", "hang", "stream_error", "disconnect")


def step_cost(step, provider):
    if any(k in step for k in TRANSIENT) or "text" in step:
        return 0
    if "edit" in step and provider == "anthropic":
        return 2  # Read, then Edit (Claude Code refuses an Edit of a file it has not read)
    return 1


def pick_step(script_name, phase, steps, k, provider, key=None):
    """The step for a request with k tool results since the anchor (and API key `key`).
    Returns (index, step, sub) where sub is the tool call within a multi-call step."""
    pos = 0
    for i, step in enumerate(steps):
        if "unless_key" in step and key == step["unless_key"]:
            continue  # a request with that API key skips the step, as if absent
        times = step.get("times")
        cost = step_cost(step, provider)
        if times is not None:
            with COUNT_LOCK:
                used = COUNTS.get((script_name, phase, i), 0)
                if used >= times:
                    continue  # spent: as if absent
                if pos == k or (cost and pos <= k < pos + cost):
                    COUNTS[(script_name, phase, i)] = used + 1
                    return i, step, k - pos
        elif cost == 0:
            if pos == k:
                return i, step, 0
        elif pos <= k < pos + cost:
            return i, step, k - pos
        pos += cost
    return None, None, 0


# ----------------------------------------------------------------------------- the server

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "standin/1"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet; the JSON log has it all
        pass

    # -- plumbing

    def read_body(self):
        n = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.headers.get("content-encoding", "").lower() in ("gzip",):
            import gzip
            raw = gzip.decompress(raw)
        elif self.headers.get("content-encoding", "").lower() == "zstd":
            raw = b""  # not decodable with the standard library
        return raw

    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def start_sse(self, headers=None):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.close_connection = True

    def sse(self, event, data):
        chunk = ""
        if event:
            chunk += f"event: {event}\n"
        chunk += "data: " + (data if isinstance(data, str) else json.dumps(data)) + "\n\n"
        self.wfile.write(chunk.encode())
        self.wfile.flush()

    def hang(self, spec):
        """Keep the connection open without finishing the stream (until the client goes,
        `seconds` pass, or HANG_LIMIT)."""
        seconds = float(spec.get("seconds", HANG_LIMIT)) if isinstance(spec, dict) else HANG_LIMIT
        seconds = min(seconds, HANG_LIMIT)
        keepalive = isinstance(spec, dict) and spec.get("keepalive", False)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            # Return as soon as the client closes its side (a killed CLI).
            try:
                readable, _, _ = select.select([self.connection], [], [], 0.5)
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    return
            except OSError:
                return
            if keepalive:
                try:
                    self.wfile.write(b": keepalive\n\n")
                    self.wfile.flush()
                except OSError:
                    return

    # -- dispatch

    def do_GET(self):
        path = urlsplit(self.path).path
        if path.rstrip("/").endswith("/models"):
            entry = {"method": "GET", "path": self.path, "answer": "models"}
            log(entry)
            # OpenAI list shape plus Codex's own `models` key (empty: use bundled metadata).
            return self.send_json(200, {"object": "list", "data": [], "models": []})
        log({"method": "GET", "path": self.path, "answer": 404,
             "headers": dict(self.headers)})
        self.send_json(404, {"error": {"message": f"standin: no route GET {path}",
                                       "type": "invalid_request_error", "code": None}})

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self):
        try:
            self.handle_post()
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as e:  # a stand-in bug: say so in the log and to the client
            import traceback
            log({"method": "POST", "path": self.path, "answer": "standin crashed",
                 "problem": traceback.format_exc()})
            try:
                self.send_json(500, {"error": {"message": f"standin crashed: {e}",
                                               "type": "standin_error"}})
            except OSError:
                pass

    def handle_post(self):
        raw_bytes = self.read_body()
        raw = raw_bytes.decode("utf-8", "replace")
        path = urlsplit(self.path).path
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_unparsed": raw}
        if path.endswith("/messages") and not path.endswith("/count_tokens"):
            provider = "anthropic"
        elif path.endswith("/responses"):
            provider = "responses"
        elif path.endswith("/chat/completions"):
            provider = "chat"
        elif path.endswith("/count_tokens"):
            log({"method": "POST", "path": self.path, "answer": "count_tokens", "body": body})
            return self.send_json(200, {"input_tokens": approx_tokens(raw)})
        else:
            log({"method": "POST", "path": self.path, "answer": 404, "body": body})
            return self.send_json(404, {"error": {"message": f"standin: no route {path}",
                                                  "type": "invalid_request_error"}})
        with COUNT_LOCK:
            SEQ[0] += 1
            seq = SEQ[0]
        if not body.get("tools") and provider in ("chat", "responses") or \
                (provider == "anthropic" and not body.get("tools") and body.get("max_tokens", 0) < 4096):
            # A side request without tools (opencode's title generator, a CLI's quota probe):
            # answer briefly and leave the script alone.
            log({"seq": seq, "method": "POST", "path": self.path, "provider": provider,
                 "kind": "side", "answer": "side", "body": body})
            step = {"text": "Standin session"}
            calls, text = plan_output(provider, body, step, 0)
            key = ("side", seq, time.time_ns())
            if body.get("stream") is not True:
                return self.answer_whole(provider, body, raw, step, calls, text, key)
            return {"anthropic": self.stream_anthropic, "responses": self.stream_responses,
                    "chat": self.stream_chat}[provider](body, raw, step, calls, text, key)
        name, script, phase, steps, k, why = choose(provider, body, raw)
        key = request_key(self.headers)
        idx, step, sub = (None, None, 0)
        if script is not None and phase is not None:
            idx, step, sub = pick_step(name, phase, steps, k, provider, key)
            if step is None:
                why = f"phase {phase} has no step for {k} tool results"
        entry = {"seq": seq, "method": "POST", "path": self.path, "provider": provider,
                 "script": name, "phase": phase, "tool_results": k, "step": idx,
                 "sub": sub, "kind": step_kind(step) if step else None,
                 "headers": {k.lower(): v for k, v in self.headers.items()
                             if "key" not in k.lower() and "auth" not in k.lower()},
                 "key_sha": key_sha(key) if key else None,
                 "body": body}
        if why:
            entry["problem"] = why
        if step is None:
            step = {"text": f"standin: {why or 'no step'} (script {name})"}
        try:
            delay = float(step.get("delay", 0))
            if delay:
                time.sleep(min(delay, HANG_LIMIT))
            # The key makes ids unique within a conversation, also across stand-in restarts.
            key = (name, phase, idx, k, seq, len(raw), time.time_ns())
            status = self.answer(provider, body, raw, step, sub, key)
            entry["answer"] = status
        except (BrokenPipeError, ConnectionResetError) as e:
            entry["answer"] = f"client went away: {e.__class__.__name__}"
        log(entry)

    # -- answers

    def answer(self, provider, body, raw, step, sub, key):
        if "error" in step:
            return self.answer_error(provider, step["error"])
        if "disconnect" in step:
            self.close_connection = True
            self.connection.shutdown(2)
            return "disconnected"
        calls, text = plan_output(provider, body, step, sub)
        if body.get("stream") is not True:
            return self.answer_whole(provider, body, raw, step, calls, text, key)
        if provider == "anthropic":
            self.stream_anthropic(body, raw, step, calls, text, key)
        elif provider == "responses":
            self.stream_responses(body, raw, step, calls, text, key)
        else:
            self.stream_chat(body, raw, step, calls, text, key)
        return "hang" if "hang" in step else "stream"

    def answer_whole(self, provider, body, raw, step, calls, text, key):
        """A non-streaming request (Claude Code falls back to one after a broken stream)."""
        if "stream_error" in step or "hang" in step:
            spec = step.get("stream_error") if isinstance(step.get("stream_error"), dict) else {}
            kind = spec.get("type", "overloaded_error")
            status = {"overloaded_error": 529, "rate_limit_error": 429,
                      "api_error": 500}.get(kind, 500)
            if "hang" in step:
                self.hang(step["hang"])
                return "hang"
            return self.answer_error(provider, {"status": status, "message": spec.get("message")})
        usage = usage_for(provider, body, raw, calls, text, step)
        model = body.get("model") or ("claude-sonnet-4-5" if provider == "anthropic" else "gpt-5.5")
        if provider == "anthropic":
            content = []
            if text is not None:
                content.append({"type": "text", "text": "".join(text_pieces(step, text))})
            for i, call in enumerate(calls):
                content.append({"type": "tool_use", "id": "toolu_standin_" + short_id(*key, i),
                                "name": call["name"], "input": call["input"]})
            obj = {"id": "msg_standin_" + short_id(*key), "type": "message",
                   "role": "assistant", "model": model, "content": content,
                   "stop_reason": "tool_use" if calls else "end_turn", "stop_sequence": None,
                   "usage": {"input_tokens": usage["input"],
                             "cache_creation_input_tokens": usage["cache_creation"],
                             "cache_read_input_tokens": usage["cache_read"],
                             "output_tokens": usage["output"], "service_tier": "standard"}}
            self.send_json(200, obj, {"request-id": "req_standin_" + short_id(*key, "r")})
        elif provider == "chat":
            msg = {"role": "assistant", "content": "".join(text_pieces(step, text)) if text else None}
            if calls:
                msg["tool_calls"] = [{"id": "call_standin_" + short_id(*key, i), "type": "function",
                                      "function": {"name": c["name"],
                                                   "arguments": json.dumps(c["input"])}}
                                     for i, c in enumerate(calls)]
            self.send_json(200, {"id": "chatcmpl-standin" + short_id(*key),
                                 "object": "chat.completion", "created": int(time.time()),
                                 "model": model, "choices": [{
                                     "index": 0, "message": msg,
                                     "finish_reason": "tool_calls" if calls else "stop"}],
                                 "usage": {"prompt_tokens": usage["input"] + usage["cache_read"],
                                           "completion_tokens": usage["output"],
                                           "total_tokens": usage["input"] + usage["cache_read"]
                                           + usage["output"]}})
        else:
            return self.answer_error(provider, {"status": 400, "message":
                                                "standin: only streamed Responses requests"})
        return "whole"

    def answer_error(self, provider, err):
        status = int(err.get("status", 500))
        headers = {k.lower(): v for k, v in (err.get("headers") or {}).items()}
        reset_in = err.get("reset_seconds")
        body = err.get("body")
        msg = err.get("message")
        now = time.time()
        if provider == "anthropic":
            kind = {400: "invalid_request_error", 401: "authentication_error",
                    403: "permission_error", 404: "not_found_error", 413: "request_too_large",
                    429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
            default_msg = {401: "invalid x-api-key",
                           429: "This request would exceed the rate limit for your organization "
                                "of 50 requests per minute. Please try again later.",
                           529: "Overloaded"}.get(status, "Internal server error")
            if body is None:
                body = {"type": "error", "error": {"type": kind, "message": msg or default_msg}}
            headers.setdefault("request-id", "req_standin_" + short_id(now))
            headers.setdefault("x-should-retry", "true" if status in (429, 500, 529) else "false")
            if status == 429:
                secs = int(reset_in if reset_in is not None else 30)
                headers.setdefault("retry-after", str(secs))
                for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
                    headers.setdefault(f"anthropic-ratelimit-{kind}-reset", rfc3339(now + secs))
                headers.setdefault("anthropic-ratelimit-requests-limit", "50")
                headers.setdefault("anthropic-ratelimit-requests-remaining", "0")
        else:
            secs = int(reset_in if reset_in is not None else 20)
            kind, code, default_msg = {
                401: ("invalid_request_error", "invalid_api_key",
                      "Incorrect API key provided: sk-stand***. You can find your API key at "
                      "https://platform.openai.com/account/api-keys."),
                429: ("requests", "rate_limit_exceeded",
                      "Rate limit reached for gpt-5.5 in organization org-standin on requests "
                      "per min (RPM): Limit 3, Used 3, Requested 1. "
                      f"Please try again in {secs}s."),
            }.get(status, ("server_error", None,
                           "The server had an error while processing your request. Sorry about that!"))
            if body is None:
                body = {"error": {"message": msg or default_msg, "type": kind,
                                  "param": None, "code": code}}
            headers.setdefault("x-request-id", "req_" + short_id(now))
            if status == 429:
                headers.setdefault("retry-after", str(secs))
                headers.setdefault("x-ratelimit-limit-requests", "3")
                headers.setdefault("x-ratelimit-remaining-requests", "0")
                headers.setdefault("x-ratelimit-reset-requests", f"{secs}s")
                headers.setdefault("x-ratelimit-reset-tokens", f"{secs}s")
        self.send_json(status, body, headers)
        return status

    # Anthropic Messages -----------------------------------------------------------------

    def stream_anthropic(self, body, raw, step, calls, text, key):
        model = body.get("model") or "claude-sonnet-4-5"
        usage = usage_for("anthropic", body, raw, calls, text, step)
        msg_id = "msg_standin_" + short_id(*key)
        self.start_sse({"request-id": "req_standin_" + short_id(*key, "r"),
                        "anthropic-ratelimit-requests-limit": "50",
                        "anthropic-ratelimit-requests-remaining": "49",
                        "anthropic-ratelimit-requests-reset": rfc3339(time.time() + 1)})
        self.sse("message_start", {"type": "message_start", "message": {
            "id": msg_id, "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": usage["input"],
                      "cache_creation_input_tokens": usage["cache_creation"],
                      "cache_read_input_tokens": usage["cache_read"],
                      "output_tokens": 1,
                      "service_tier": "standard"}}})
        self.sse("ping", {"type": "ping"})
        index = 0
        if text is not None or "hang" in step or step.get("filler_bytes"):
            self.sse("content_block_start", {"type": "content_block_start", "index": index,
                                             "content_block": {"type": "text", "text": ""}})
            for piece in text_pieces(step, text):
                self.sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                                 "delta": {"type": "text_delta", "text": piece}})
            if "hang" in step:
                return self.hang(step["hang"])
            if "stream_error" in step:
                return self.anthropic_stream_error(step["stream_error"])
            self.sse("content_block_stop", {"type": "content_block_stop", "index": index})
            index += 1
        for call in calls:
            tid = "toolu_standin_" + short_id(*key, index)
            self.sse("content_block_start", {"type": "content_block_start", "index": index,
                                             "content_block": {"type": "tool_use", "id": tid,
                                                               "name": call["name"],
                                                               "input": {}}})
            js = json.dumps(call["input"])
            for i in range(0, len(js), 64):
                self.sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                                 "delta": {"type": "input_json_delta",
                                                           "partial_json": js[i:i + 64]}})
            self.sse("content_block_stop", {"type": "content_block_stop", "index": index})
            index += 1
        if "stream_error" in step:
            return self.anthropic_stream_error(step["stream_error"])
        self.sse("message_delta", {"type": "message_delta",
                                   "delta": {"stop_reason": "tool_use" if calls else "end_turn",
                                             "stop_sequence": None},
                                   "usage": {"output_tokens": usage["output"]}})
        self.sse("message_stop", {"type": "message_stop"})

    def anthropic_stream_error(self, spec):
        spec = spec if isinstance(spec, dict) else {}
        self.sse("error", {"type": "error", "error": {
            "type": spec.get("type", "overloaded_error"),
            "message": spec.get("message", "Overloaded")}})

    # OpenAI Responses -------------------------------------------------------------------

    def stream_responses(self, body, raw, step, calls, text, key):
        model = body.get("model") or "gpt-5.5"
        usage = usage_for("responses", body, raw, calls, text, step)
        resp_id = "resp_standin_" + short_id(*key)
        seqn = [0]

        def ev(kind, data):
            data = {"type": kind, "sequence_number": seqn[0], **data}
            seqn[0] += 1
            self.sse(kind, data)

        self.start_sse({"x-request-id": "req_" + short_id(*key, "r"),
                        "x-ratelimit-limit-requests": "500",
                        "x-ratelimit-remaining-requests": "499",
                        "x-ratelimit-reset-requests": "120ms"})
        base = {"id": resp_id, "object": "response", "created_at": int(time.time()),
                "model": model, "output": []}
        ev("response.created", {"response": {**base, "status": "in_progress"}})
        ev("response.in_progress", {"response": {**base, "status": "in_progress"}})
        outputs = []
        out_index = 0
        if text is not None or "hang" in step or step.get("filler_bytes"):
            mid = "msg_standin_" + short_id(*key, "m")
            ev("response.output_item.added", {"output_index": out_index, "item": {
                "type": "message", "id": mid, "status": "in_progress", "role": "assistant",
                "content": []}})
            ev("response.content_part.added", {"item_id": mid, "output_index": out_index,
                                               "content_index": 0,
                                               "part": {"type": "output_text", "text": "",
                                                        "annotations": []}})
            full = ""
            for piece in text_pieces(step, text):
                full += piece
                ev("response.output_text.delta", {"item_id": mid, "output_index": out_index,
                                                  "content_index": 0, "delta": piece})
            if "hang" in step:
                return self.hang(step["hang"])
            if "stream_error" in step:
                return self.responses_failed(ev, base, step["stream_error"])
            ev("response.output_text.done", {"item_id": mid, "output_index": out_index,
                                             "content_index": 0, "text": full})
            item = {"type": "message", "id": mid, "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": full, "annotations": []}]}
            ev("response.output_item.done", {"output_index": out_index, "item": item})
            outputs.append(item)
            out_index += 1
        for n, call in enumerate(calls):
            cid = "call_standin_" + short_id(*key, n)
            if call["kind"] == "custom":
                item = {"type": "custom_tool_call", "id": "ctc_" + short_id(*key, n),
                        "status": "completed", "call_id": cid, "name": call["name"],
                        "input": call["input"]}
            else:
                item = {"type": "function_call", "id": "fc_" + short_id(*key, n),
                        "status": "completed", "call_id": cid, "name": call["name"],
                        "arguments": json.dumps(call["input"])}
            ev("response.output_item.added", {"output_index": out_index,
                                              "item": {**item, "status": "in_progress"}})
            ev("response.output_item.done", {"output_index": out_index, "item": item})
            outputs.append(item)
            out_index += 1
        if "stream_error" in step:
            return self.responses_failed(ev, base, step["stream_error"])
        ev("response.completed", {"response": {
            **base, "status": "completed", "output": outputs,
            "usage": {"input_tokens": usage["input"] + usage["cache_read"],
                      "input_tokens_details": {"cached_tokens": usage["cache_read"]},
                      "output_tokens": usage["output"],
                      "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": usage["input"] + usage["cache_read"] + usage["output"]}}})

    def responses_failed(self, ev, base, spec):
        spec = spec if isinstance(spec, dict) else {}
        ev("response.failed", {"response": {**base, "status": "failed", "error": {
            "code": spec.get("code", "server_error"),
            "message": spec.get("message", "The model produced an error. Please try again.")},
            "usage": None}})

    # OpenAI Chat Completions ------------------------------------------------------------

    def stream_chat(self, body, raw, step, calls, text, key):
        model = body.get("model") or "gpt-5.5"
        usage = usage_for("chat", body, raw, calls, text, step)
        cid = "chatcmpl-standin" + short_id(*key)
        created = int(time.time())
        self.start_sse()

        def chunk(delta, finish=None, extra=None):
            d = {"id": cid, "object": "chat.completion.chunk", "created": created,
                 "model": model, "choices": [{"index": 0, "delta": delta,
                                              "finish_reason": finish}]}
            if extra:
                d.update(extra)
            self.sse(None, d)

        chunk({"role": "assistant", "content": ""})
        if text is not None or "hang" in step or step.get("filler_bytes"):
            for piece in text_pieces(step, text):
                chunk({"content": piece})
            if "hang" in step:
                return self.hang(step["hang"])
        for n, call in enumerate(calls):
            args = call["input"] if isinstance(call["input"], str) else json.dumps(call["input"])
            chunk({"tool_calls": [{"index": n, "id": "call_standin_" + short_id(*key, n),
                                   "type": "function",
                                   "function": {"name": call["name"], "arguments": ""}}]})
            for i in range(0, len(args), 64):
                chunk({"tool_calls": [{"index": n, "function": {"arguments": args[i:i + 64]}}]})
        chunk({}, "tool_calls" if calls else "stop")
        if (body.get("stream_options") or {}).get("include_usage", True):
            self.sse(None, {"id": cid, "object": "chat.completion.chunk", "created": created,
                            "model": model, "choices": [],
                            "usage": {"prompt_tokens": usage["input"] + usage["cache_read"],
                                      "completion_tokens": usage["output"],
                                      "total_tokens": usage["input"] + usage["cache_read"]
                                      + usage["output"],
                                      "prompt_tokens_details": {
                                          "cached_tokens": usage["cache_read"]}}})
        self.sse(None, "[DONE]")


def step_kind(step):
    for k in ("write", "edit", "read", "bash", "error", "hang", "stream_error", "disconnect",
              "text"):
        if k in step:
            return k
    return "?"


def text_pieces(step, text):
    """The text deltas of a step: filler first (filler_bytes), then the text in chunks."""
    n = int(step.get("filler_bytes", 0) or 0)
    line_no = 0
    sent = 0
    buf = ""
    while sent < n:
        line_no += 1
        line = f"standin filler line {line_no:07d}: the quick brown fox jumps over the lazy dog.\n"
        buf += line
        sent += len(line)
        if len(buf) >= 4096:
            yield buf
            buf = ""
    if buf:
        yield buf
    if "hang" in step:
        h = step["hang"]
        partial = h.get("text", "Working on it") if isinstance(h, dict) else "Working on it"
        if partial:
            yield partial
        return
    if text:
        size = int(step.get("chunk", 400))
        for i in range(0, len(text), size):
            yield text[i:i + size]


def final_text(step):
    text = step.get("text", "")
    if "result" in step:
        text = (text + "\n\n" if text else "") + "```refine-result\n" + \
            json.dumps(step["result"], indent=2) + "\n```"
    return text


def tool_names(provider, body):
    names = set()
    for t in body.get("tools", []) or []:
        if not isinstance(t, dict):
            continue
        names.add(t.get("name") or (t.get("function") or {}).get("name"))
    return names


def plan_output(provider, body, step, sub):
    """The tool calls ([{kind, name, input}]) and text (or None) a step produces."""
    cwd = find_cwd(body) or ""

    def sub_cwd(s):
        return s.replace("{{cwd}}", cwd) if isinstance(s, str) else s

    def abspath(p):
        p = sub_cwd(p)
        return p if p.startswith("/") else os.path.join(cwd or "/", p)

    if "text" in step or "result" in step:
        return [], sub_cwd(final_text(step))
    if any(k in step for k in TRANSIENT):
        return [], None
    if provider == "anthropic":
        if "write" in step:
            return [{"kind": "fn", "name": "Write", "input": {
                "file_path": abspath(step["write"]), "content": sub_cwd(step.get("content", ""))}}], None
        if "read" in step:
            return [{"kind": "fn", "name": "Read", "input": {"file_path": abspath(step["read"])}}], None
        if "edit" in step:
            if sub == 0:
                return [{"kind": "fn", "name": "Read",
                         "input": {"file_path": abspath(step["edit"])}}], None
            inp = {"file_path": abspath(step["edit"]), "old_string": step.get("old", ""),
                   "new_string": step.get("new", "")}
            if step.get("all"):
                inp["replace_all"] = True
            return [{"kind": "fn", "name": "Edit", "input": inp}], None
        if "bash" in step:
            inp = {"command": sub_cwd(step["bash"]),
                   "description": step.get("description", "Run a command")}
            if step.get("timeout_ms"):
                inp["timeout"] = step["timeout_ms"]
            return [{"kind": "fn", "name": "Bash", "input": inp}], None
    elif provider == "responses":
        names = tool_names(provider, body)
        if "write" in step or "edit" in step:
            patch = codex_patch(step, sub_cwd)
            if "apply_patch" in names or not names:
                # Freeform (custom) tool when offered as such; else the JSON function form.
                custom = any(t.get("type") == "custom" and t.get("name") == "apply_patch"
                             for t in body.get("tools", []) or [] if isinstance(t, dict))
                if custom or not names:
                    return [{"kind": "custom", "name": "apply_patch", "input": patch}], None
                # The argument the function declares (opencode's is `patchText`).
                arg = "patchText" if "patchText" in tool_params(body, "apply_patch") else "input"
                return [{"kind": "fn", "name": "apply_patch", "input": {arg: patch}}], None
            # No apply_patch tool offered (unknown model slug): fall back to a shell command.
            return [shell_call(names, shell_write(step, sub_cwd))], None
        if "read" in step:
            return [shell_call(names, "cat " + shq(sub_cwd(step["read"])))], None
        if "bash" in step:
            call = shell_call(names, sub_cwd(step["bash"]), step)
            if call["name"] == "exec_command" and step.get("escalate"):
                call["input"]["sandbox_permissions"] = "require_escalated"
                call["input"]["justification"] = step.get("description", "Needs to run outside the sandbox")
            return [call], None
    else:  # chat completions (opencode and similar): tools as offered, best effort
        names = tool_names(provider, body)
        if ("write" in step or "edit" in step) and "apply_patch" in names and not (
                "write" in step and "write" in names) and not ("edit" in step and "edit" in names):
            # opencode offers apply_patch (not write/edit) to gpt-* models.
            return [{"kind": "fn", "name": "apply_patch",
                     "input": {"patchText": codex_patch(step, sub_cwd)}}], None
        if "write" in step:
            return [{"kind": "fn", "name": "write", "input": {
                "filePath": abspath(step["write"]), "content": sub_cwd(step.get("content", ""))}}], None
        if "read" in step:
            return [{"kind": "fn", "name": "read", "input": {"filePath": abspath(step["read"])}}], None
        if "edit" in step:
            return [{"kind": "fn", "name": "edit", "input": {
                "filePath": abspath(step["edit"]), "oldString": step.get("old", ""),
                "newString": step.get("new", "")}}], None
        if "bash" in step:
            return [{"kind": "fn", "name": "bash", "input": {
                "command": sub_cwd(step["bash"]),
                "description": step.get("description", "Run a command")}}], None
    return [], f"standin: unknown step {json.dumps(step)}"


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def shell_call(names, cmd, step=None):
    if "exec_command" in names or not names:
        inp = {"cmd": cmd}
        if step and step.get("timeout_ms"):
            inp["yield_time_ms"] = step["timeout_ms"]
        return {"kind": "fn", "name": "exec_command", "input": inp}
    if "shell_command" in names:
        return {"kind": "fn", "name": "shell_command", "input": {"command": cmd}}
    if "bash" in names:  # opencode on the Responses API
        return {"kind": "fn", "name": "bash", "input": {
            "command": cmd, "description": (step or {}).get("description", "Run a command")}}
    return {"kind": "fn", "name": "shell", "input": {"command": ["bash", "-lc", cmd]}}


def tool_params(body, name):
    """The parameter names of the function tool `name` the request offers."""
    for t in body.get("tools", []) or []:
        if isinstance(t, dict) and (t.get("name") or (t.get("function") or {}).get("name")) == name:
            params = t.get("parameters") or (t.get("function") or {}).get("parameters") or {}
            return set((params.get("properties") or {}).keys())
    return set()


def shell_write(step, sub_cwd):
    if "write" in step:
        return f"mkdir -p \"$(dirname {shq(step['write'])})\" && printf %s {shq(sub_cwd(step.get('content', '')))} > {shq(step['write'])}"
    return ("python3 -c 'import sys;p,o,n=sys.argv[1:];t=open(p).read();open(p,\"w\").write(t.replace(o,n,1))' "
            f"{shq(step['edit'])} {shq(step.get('old', ''))} {shq(step.get('new', ''))}")


def codex_patch(step, sub_cwd):
    lines = ["*** Begin Patch"]
    if "write" in step:
        lines.append(f"*** Add File: {sub_cwd(step['write'])}")
        content = sub_cwd(step.get("content", ""))
        body = content[:-1] if content.endswith("\n") else content
        lines += ["+" + ln for ln in body.split("\n")] if content else []
    else:
        lines.append(f"*** Update File: {sub_cwd(step['edit'])}")
        lines.append("@@")
        old = step.get("old", "").rstrip("\n").split("\n")
        new = step.get("new", "").rstrip("\n").split("\n")
        lines += ["-" + ln for ln in old] + ["+" + ln for ln in new]
    lines.append("*** End Patch")
    return "\n".join(lines) + "\n"


def usage_for(provider, body, raw, calls, text, step):
    """Deterministic, plausible token counts: the prompt is ~len/4 tokens; on a conversation
    that already has an assistant turn, most of it counts as a cache read."""
    if "usage" in step:
        u = step["usage"]
        return {"input": u.get("input_tokens", 10), "cache_read": u.get("cache_read_input_tokens", 0),
                "cache_creation": u.get("cache_creation_input_tokens", 0),
                "output": u.get("output_tokens", 10)}
    total = approx_tokens(raw)
    conv = conversation(provider, body)
    later = any(role == "assistant" for role, _ in conv) or \
        any(role == "tool_result" for role, _ in conv)
    cache_read = (total * 9) // 10 if later else 0
    cache_creation = 0 if later or provider != "anthropic" else 0
    out_len = len(text or "") + sum(len(json.dumps(c["input"])) for c in calls) + \
        int(step.get("filler_bytes", 0) or 0)
    return {"input": total - cache_read, "cache_read": cache_read,
            "cache_creation": cache_creation, "output": approx_tokens(" " * (out_len + 8))}


def main():
    global ARGS
    ap = argparse.ArgumentParser(description="model-API stand-in for offline agent CLI tests")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--scripts", required=True, help="folder of NAME.json scripts")
    ap.add_argument("--log", default=None, help="append one JSON line per request here")
    ARGS = ap.parse_args()
    srv = ThreadingHTTPServer((ARGS.host, ARGS.port), Handler)
    srv.daemon_threads = True
    print(f"standin listening on http://{ARGS.host}:{srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
