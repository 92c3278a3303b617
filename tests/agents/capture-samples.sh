#!/usr/bin/env bash
# capture-samples.sh [NAME_PATTERN]: regenerate samples/ by running the real CLIs offline (inside
# offline.sh) against standin.py with the scripts in scripts/. Each sample is the CLI's stdout
# (NAME.jsonl), its stderr (NAME.stderr) and a line in samples/MANIFEST.tsv (exit code, seconds,
# env, argv). Work dirs live under /var/tmp/refine-agent-samples/NAME (fixed paths, so the samples
# are left exactly as the CLIs printed them). Only samples whose name matches the pattern (a bash
# glob, default *) are redone. Takes about a minute.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "${REFINE_SAMPLES_INNER:-}" != 1 ]; then
  "$here/install.sh"
  exec env REFINE_SAMPLES_INNER=1 "$here/offline.sh" "$0" "$@"
fi
pattern="${1:-*}"
eval "$("$here/install.sh" --paths-only | sed 's/^\([a-z]*\)=/BIN_\1=/')"
BASE=/var/tmp/refine-agent-samples
OUT="$here/samples"
mkdir -p "$OUT" "$BASE"
MANIFEST="$OUT/MANIFEST.tsv"
[ -f "$MANIFEST" ] || printf 'sample\texit\tseconds\tenv\targv\n' >"$MANIFEST"
LOG="$BASE/requests.jsonl"

STANDIN_PID=""
standin_start() {  # a fresh stand-in per sample, so `times` counters start at zero
  standin_stop
  local fifo; fifo="$(mktemp -u)"; mkfifo "$fifo"
  python3 "$here/standin.py" --port 0 --scripts "$here/scripts" --log "$LOG" >"$fifo" &
  STANDIN_PID=$!
  local line; read -r line <"$fifo"; rm -f "$fifo"
  URL="${line##* }"
}
standin_stop() {
  if [ -n "$STANDIN_PID" ]; then kill "$STANDIN_PID" 2>/dev/null; wait "$STANDIN_PID" 2>/dev/null; fi
  STANDIN_PID=""
}
trap standin_stop EXIT

want() { [[ "$1" == $pattern ]]; }

# run NAME DIR KILL_AFTER ENV... -- ARGV...   (stdin is /dev/null; KILL_AFTER=0: no kill)
run() {
  local name="$1" dir="$2" kill_after="$3"; shift 3
  local file="$name.jsonl"
  case "$name" in *.json) file="$name"; name="${name%.json}" ;; esac
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  mkdir -p "$dir/home" "$dir/work"
  if [ ! -d "$dir/work/.git" ]; then git -C "$dir/work" init -q; fi
  local start end rc
  start=$(date +%s.%N)
  # setsid: the CLI leads its own process group, as under Refine (which signals the group).
  (cd "$dir/work" && exec setsid env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
     HOME="$dir/home" "${envs[@]}" "$@" </dev/null >"$OUT/$file" 2>"$OUT/$name.stderr") &
  local pid=$!
  if [ "$kill_after" != 0 ]; then
    sleep "$kill_after"
    kill -TERM -- "-$pid" 2>/dev/null
  fi
  wait "$pid"; rc=$?
  end=$(date +%s.%N)
  local shown_env
  shown_env="$(printf '%s ' "${envs[@]}" | sed "s#$URL#http://127.0.0.1:PORT#g; s#$BASE#\$BASE#g")"
  local shown_argv
  shown_argv="$(printf '%q ' "$@" | sed "s#$BIN_claude#claude#; s#$BIN_codex#codex#; s#$BIN_opencode#opencode#; s#$URL#http://127.0.0.1:PORT#g")"
  grep -v "^$name	" "$MANIFEST" >"$MANIFEST.tmp"; mv "$MANIFEST.tmp" "$MANIFEST"
  printf '%s\t%s\t%.1f\t%s\t%s\n' "$name" "$rc" "$(echo "$end - $start" | bc)" "$shown_env" "$shown_argv" >>"$MANIFEST"
  echo "$name: exit $rc"
}

# ---------------------------------------------------------------- --version / --help
help_out() {  # help_out FILE BIN ARGS...: what a detector sees (fresh HOME, no network)
  local f="$1"; shift
  mkdir -p "$BASE/help-home"
  (cd "$BASE" && env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME="$BASE/help-home" \
     "$@" </dev/null >"$OUT/$f" 2>&1); echo "$f: exit $?"
}
if want help; then
  help_out claude-version.txt "$BIN_claude" --version
  help_out claude-help.txt "$BIN_claude" --help
  help_out codex-version.txt "$BIN_codex" --version
  help_out codex-exec-help.txt "$BIN_codex" exec --help
  help_out codex-exec-resume-help.txt "$BIN_codex" exec resume --help
  if [ -n "${BIN_opencode:-}" ]; then
    help_out opencode-version.txt "$BIN_opencode" --version
    help_out opencode-run-help.txt "$BIN_opencode" run --help
  fi
fi

# ---------------------------------------------------------------- Claude Code
claude_env() {  # extra env after the common ones
  echo "ANTHROPIC_BASE_URL=$URL ANTHROPIC_API_KEY=sk-ant-standin CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1"
}
C=(--output-format stream-json --verbose)
claude() {  # claude NAME DIR KILL_AFTER EXTRA_ENV... -- ARGS...
  local name="$1" dir="$2" k="$3"; shift 3
  local extra=()
  while [ "$1" != "--" ]; do extra+=("$1"); shift; done
  shift
  # shellcheck disable=SC2046
  run "$name" "$dir" "$k" $(claude_env) "${extra[@]}" -- "$BIN_claude" "$@"
}

if want claude-edit-bash; then standin_start
  claude claude-edit-bash "$BASE/claude-edit-bash" 0 -- -p "standin-script: edit-bash. Create hello.txt." "${C[@]}" --permission-mode acceptEdits
fi
if want claude-bash-needs-approval; then standin_start
  claude claude-bash-needs-approval "$BASE/claude-bash-needs-approval" 0 -- -p "standin-script: bash-approval" "${C[@]}" --permission-mode acceptEdits
fi
if want claude-bash-allowed; then standin_start
  claude claude-bash-allowed "$BASE/claude-bash-allowed" 0 -- -p "standin-script: bash-approval" "${C[@]}" --permission-mode acceptEdits --allowedTools Bash
fi
if want claude-denied; then standin_start
  claude claude-denied "$BASE/claude-denied" 0 -- -p "standin-script: write-denied" "${C[@]}" --permission-mode default
fi
if want claude-failed-500; then standin_start
  claude claude-failed-500 "$BASE/claude-failed-500" 0 CLAUDE_CODE_MAX_RETRIES=0 -- -p "standin-script: fail-500" "${C[@]}" --permission-mode acceptEdits
fi
if want claude-failed-401; then standin_start
  claude claude-failed-401 "$BASE/claude-failed-401" 0 CLAUDE_CODE_MAX_RETRIES=0 -- -p "standin-script: fail-401" "${C[@]}" --permission-mode acceptEdits
fi
if want claude-failed-429; then standin_start
  claude claude-failed-429 "$BASE/claude-failed-429" 0 CLAUDE_CODE_MAX_RETRIES=0 -- -p "standin-script: fail-429" "${C[@]}" --permission-mode acceptEdits
fi
if want claude-429-then-ok; then standin_start
  claude claude-429-then-ok "$BASE/claude-429-then-ok" 0 -- -p "standin-script: retry-429" "${C[@]}" --permission-mode acceptEdits
fi
if want claude-stream-error; then standin_start
  claude claude-stream-error "$BASE/claude-stream-error" 0 CLAUDE_CODE_MAX_RETRIES=0 -- -p "standin-script: stream-error" "${C[@]}" --permission-mode acceptEdits
fi
if want claude-killed; then standin_start
  claude claude-killed "$BASE/claude-killed" 3 -- -p "standin-script: hang" "${C[@]}" --permission-mode acceptEdits
fi
if want claude-resume-after-kill; then standin_start
  d="$BASE/claude-resume-after-kill"; rm -rf "$d"
  claude claude-resume-after-kill-first "$d" 3 -- -p "standin-script: kill-resume" "${C[@]}" --permission-mode acceptEdits
  sid="$(head -1 "$OUT/claude-resume-after-kill-first.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["session_id"])')"
  claude claude-resume-after-kill "$d" 0 -- -p "Continue the work." --resume "$sid" "${C[@]}" --permission-mode acceptEdits
fi
if want claude-result; then standin_start
  claude claude-result.json "$BASE/claude-result" 0 -- -p "standin-script: edit-bash. Create hello.txt." --output-format json --permission-mode acceptEdits
fi
if want claude-resume; then standin_start
  d="$BASE/claude-resume"; rm -rf "$d"
  claude claude-resume-first "$d" 0 -- -p "standin-script: resume-demo. Write hello.txt." "${C[@]}" --permission-mode acceptEdits
  sid="$(head -1 "$OUT/claude-resume-first.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["session_id"])')"
  claude claude-resume "$d" 0 -- -p "Continue the work." --resume "$sid" "${C[@]}" --permission-mode acceptEdits
fi

# ---------------------------------------------------------------- Codex CLI
codex() {  # codex NAME DIR KILL_AFTER PROVIDER_EXTRA -- ARGS... (ARGS go after `codex`)
  local name="$1" dir="$2" k="$3" extra="$4"; shift 4
  [ "$1" = "--" ] && shift
  mkdir -p "$dir/codex"
  run "$name" "$dir" "$k" CODEX_HOME="$dir/codex" STANDIN_API_KEY=sk-standin -- "$BIN_codex" "$@" \
    -c 'model_provider="standin"' \
    -c "model_providers.standin={name=\"standin\",base_url=\"$URL/v1\",env_key=\"STANDIN_API_KEY\",wire_api=\"responses\"$extra}" \
    -c features.plugins=false -c analytics.enabled=false
}
X=(exec --json -s workspace-write -m gpt-5.5)
NORETRY=",request_max_retries=0,stream_max_retries=0"

if want codex-edit-bash; then standin_start
  codex codex-edit-bash "$BASE/codex-edit-bash" 0 "" -- "${X[@]}" "standin-script: edit-bash. Create hello.txt."
fi
if want codex-failed-500; then standin_start
  codex codex-failed-500 "$BASE/codex-failed-500" 0 "$NORETRY" -- "${X[@]}" "standin-script: fail-500"
fi
if want codex-failed-401; then standin_start
  codex codex-failed-401 "$BASE/codex-failed-401" 0 "$NORETRY" -- "${X[@]}" "standin-script: fail-401"
fi
if want codex-failed-429; then standin_start
  codex codex-failed-429 "$BASE/codex-failed-429" 0 "$NORETRY" -- "${X[@]}" "standin-script: fail-429"
fi
if want codex-429-then-ok; then standin_start
  codex codex-429-then-ok "$BASE/codex-429-then-ok" 0 "" -- "${X[@]}" "standin-script: retry-429"
fi
if want codex-stream-error; then standin_start
  codex codex-stream-error "$BASE/codex-stream-error" 0 "$NORETRY" -- "${X[@]}" "standin-script: stream-error"
fi
if want codex-escalation-rejected; then standin_start
  codex codex-escalation-rejected "$BASE/codex-escalation-rejected" 0 "" -- "${X[@]}" "standin-script: escalate"
fi
if want codex-killed; then standin_start
  codex codex-killed "$BASE/codex-killed" 3 "" -- "${X[@]}" "standin-script: hang"
fi
if want codex-resume-after-kill; then standin_start
  d="$BASE/codex-resume-after-kill"; rm -rf "$d"
  codex codex-resume-after-kill-first "$d" 3 "" -- "${X[@]}" "standin-script: kill-resume"
  tid="$(head -1 "$OUT/codex-resume-after-kill-first.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["thread_id"])')"
  codex codex-resume-after-kill "$d" 0 "" -- exec --json -s workspace-write -m gpt-5.5 resume "$tid" "Continue the work."
fi
if want codex-resume; then standin_start
  d="$BASE/codex-resume"; rm -rf "$d"
  codex codex-resume-first "$d" 0 "" -- "${X[@]}" "standin-script: resume-demo. Write hello.txt."
  tid="$(head -1 "$OUT/codex-resume-first.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["thread_id"])')"
  codex codex-resume "$d" 0 "" -- exec --json -s workspace-write -m gpt-5.5 resume "$tid" "Continue the work."
fi
# ---------------------------------------------------------------- opencode
opencode() {  # opencode NAME DIR KILL_AFTER -- ARGS...
  local name="$1" dir="$2" k="$3"; shift 3
  [ "$1" = "--" ] && shift
  local cfg
  cfg='{"provider":{"standin":{"npm":"@ai-sdk/openai-compatible","name":"Standin","options":{"baseURL":"'"$URL"'/v1","apiKey":"sk-standin"},"models":{"gpt-5.5":{"name":"gpt-5.5","tool_call":true,"cost":{"input":1.25,"output":10,"cache_read":0.125}}}}},"model":"standin/gpt-5.5"}'
  run "$name" "$dir" "$k" OPENCODE_DISABLE_MODELS_FETCH=1 OPENCODE_DISABLE_AUTOUPDATE=1 \
    "OPENCODE_CONFIG_CONTENT=$cfg" -- "$BIN_opencode" "$@"
}
if [ -n "${BIN_opencode:-}" ]; then
  if want opencode-edit-bash; then standin_start
    opencode opencode-edit-bash "$BASE/opencode-edit-bash" 0 -- run --format json "standin-script: edit-bash. Create hello.txt."
  fi
  if want opencode-failed-500; then standin_start
    opencode opencode-failed-500 "$BASE/opencode-failed-500" 0 -- run --format json "standin-script: fail-500"
  fi
  if want opencode-failed-429; then standin_start
    opencode opencode-failed-429 "$BASE/opencode-failed-429" 0 -- run --format json "standin-script: fail-429"
  fi
  if want opencode-resume; then standin_start
    d="$BASE/opencode-resume"; rm -rf "$d"
    opencode opencode-resume-first "$d" 0 -- run --format json "standin-script: resume-demo. Write hello.txt."
    sid="$(head -1 "$OUT/opencode-resume-first.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessionID"])')"
    opencode opencode-resume "$d" 0 -- run --format json -s "$sid" "Continue the work."
  fi
fi
standin_stop
{ head -1 "$MANIFEST"; tail -n +2 "$MANIFEST" | grep -v '^sample	' | sort; } >"$MANIFEST.tmp"
mv "$MANIFEST.tmp" "$MANIFEST"
