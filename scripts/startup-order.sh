#!/usr/bin/env bash
# Regenerate crates/refine-cli/startup-order.txt: the functions a release daemon runs from
# start-up through its first requests and an idle pass, as gold section patterns. The release
# link places them together (crates/refine-cli/build.rs), so the few thousand functions an idle
# daemon uses share a few hundred KiB of pages instead of being spread over the whole text, where
# the kernel's fault-around maps 64 KiB around each one.
#
# Needs valgrind and a release build: `make order` runs it.
set -euo pipefail
bin=${1:?usage: startup-order.sh RELEASE_REFINE_BINARY}
out=${2:-crates/refine-cli/startup-order.txt}
work=$(mktemp -d)
vg=
# Stop the daemon under valgrind (TERM, then KILL after 30 s) and wait for it.
stop() {
  [ -n "$vg" ] || return 0
  kill -TERM "$vg" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$vg" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$vg" 2>/dev/null || true
  { wait "$vg" || true; } 2>/dev/null # (valgrind may crash at the daemon's exit, after its report)
  vg=
}
trap 'stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
data="$work/data"

# One pass under callgrind: start-up, health checks, the first lists and an idle stretch (what the
# benchmark's idle figure and a browser's first requests run). Cachegrind, not callgrind:
# callgrind (3.19) trips over the signal of the agent detection's child process.
pass() {
  rm -rf "$data" "$work/cg.out"
  mkdir -p "$data"
  REFINE_LOG=error valgrind --tool=cachegrind --cache-sim=no --demangle=no \
    --cachegrind-out-file="$work/cg.out" "$bin" --serve --port 0 --data-dir "$data" \
    >"$work/daemon.log" 2>&1 &
  vg=$!
  local url auth
  for _ in $(seq 600); do
    url=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['url'])" "$data/daemon.json" 2>/dev/null) &&
      [ -s "$data/token" ] && break
    url=
    sleep 0.1
  done
  [ -n "$url" ] || { stop; return 1; }
  auth="Authorization: Bearer $(cat "$data/token")"
  curl -sf -m 60 "$url/api/v1/system/health" >/dev/null || { stop; return 1; }
  for path in system/health system/health apps settings work/goals system/info; do
    curl -s -m 60 -H "$auth" "$url/api/v1/$path" >/dev/null || true
  done
  sleep 5
  stop
  [ -s "$work/cg.out" ]
}
ok=
for attempt in 1 2 3 4 5 6 7 8; do
  if pass; then ok=1; break; fi
  echo "pass $attempt: valgrind stopped early; again" >&2
done
[ -n "$ok" ] || { echo "no complete pass under valgrind" >&2; exit 1; }

# Functions of the refine binary that ran, as name patterns for the linker script (build.rs).
nm --defined-only "$bin" | awk '$2 ~ /^[tT]$/ {print $3}' >"$work/defined"
python3 - "$work/cg.out" "$work/defined" "$out" <<'PY'
import re, sys
known = set(open(sys.argv[2]).read().split())
seen, pats = set(), []
for line in open(sys.argv[1], errors="replace"):
    if not line.startswith("fn="):
        continue
    name = line[3:].strip()
    if name not in known:
        continue
    # A Rust symbol's hash, the crate disambiguators of its v0 form (`Cs…_`) and LTO's
    # `.llvm.N` suffix become wildcards: they change from build to build or toolchain to
    # toolchain (a generic function's instances, told apart only by their hash, come along).
    p = re.sub(r"17h[0-9a-f]{16}E", "17h*E", name)
    if p.startswith("_R"):
        p = re.sub(r"Cs[0-9A-Za-z]+_", "Cs*_", p)
    p = re.sub(r"\.llvm\.[0-9]+$", "*", p)
    if p not in seen:
        seen.add(p)
        pats.append(p)
with open(sys.argv[3], "w") as f:
    f.write("# The functions an idle release daemon runs (as valgrind listed them): written by\n")
    f.write("# scripts/startup-order.sh (`make order`), read by build.rs.\n")
    f.write("\n".join(pats) + "\n")
print(f"{len(pats)} functions -> {sys.argv[3]}")
PY
