#!/usr/bin/env bash
# Desktop smoke test: under Xvfb the window opens, its UI loads and talks to the embedded daemon
# over IPC, and the daemon also answers on loopback; a terminal session works in the window
# (tests/desktop/terminal.sh), with the embedded daemon and with an attached one. Keeps
# artifacts/desktop/window.png and terminal-{embedded,attached}.png.
set -euo pipefail
bin=${1:?usage: smoke.sh path/to/refine-desktop [path/to/refine]}
cli=${2:-$(dirname "$bin")/refine}
cd "$(dirname "$0")/../.."
out=artifacts/desktop
mkdir -p "$out"
rm -f "$out"/*.png "$out"/*.log
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export REFINE_HOME="$work/data" REFINE_PORT=0 REFINE_EXIT_ON_CLOSE=1 REFINE_LOG="info,refine_desktop=debug"
# The webview's storage (the page's localStorage) starts empty and stays out of the real home.
export XDG_DATA_HOME="$work/xdg-data"

xvfb-run -a -s "-screen 0 1280x800x24" bash -s "$bin" "$out" <<'INNER'
set -euo pipefail
bin=$1 out=$2
"$bin" >"$out/desktop.log" 2>&1 &
pid=$!
fail() { echo "desktop smoke: $*" >&2; tail -n 40 "$out/desktop.log" >&2 || true; kill "$pid" 2>/dev/null || true; exit 1; }
for _ in $(seq 1 150); do [ -f "$REFINE_HOME/daemon.json" ] && break; kill -0 "$pid" 2>/dev/null || fail "the app exited"; sleep 0.2; done
[ -f "$REFINE_HOME/daemon.json" ] || fail "the embedded daemon never wrote daemon.json"
url=$(sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' "$REFINE_HOME/daemon.json")
token=$(cat "$REFINE_HOME/token")
curl -fsS -H "Authorization: Bearer $token" "$url/api/v1/system/info" >/dev/null || fail "the embedded daemon does not answer on $url"
for _ in $(seq 1 100); do xdotool search --name '^Refine$' >/dev/null 2>&1 && break; sleep 0.2; done
xdotool search --name '^Refine$' >/dev/null 2>&1 || fail "no window titled Refine"
# The UI's first IPC calls prove the page loaded and reached the daemon.
for _ in $(seq 1 100); do grep -q 'rpc op=apps.list' "$out/desktop.log" && break; sleep 0.2; done
grep -q 'rpc op=apps.list' "$out/desktop.log" || fail "the window's UI never called the daemon over IPC"
# WebKit paints a moment after the first IPC calls (longer on a loaded machine): wait for it.
colors=0
for _ in $(seq 1 40); do
  sleep 0.5
  import -window root "$out/window.png"
  colors=$(convert "$out/window.png" -format %k info:)
  [ "$colors" -gt 64 ] && break
done
[ "$colors" -gt 64 ] || fail "the window looks blank ($colors colours) after 20 s"
echo "desktop smoke: window shown ($colors colours), IPC and loopback daemon answer; screenshot $out/window.png"
tests/desktop/terminal.sh "$url" "$token" "$out" embedded "$out/desktop.log" || fail "the terminal does not work in the window"
kill "$pid"
wait "$pid" || true
INNER

# A second launch while a daemon already runs for the data dir attaches to it over loopback.
export REFINE_HOME="$work/attach"
"$cli" --serve --port 0 --data-dir "$REFINE_HOME" >"$out/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 1 100); do [ -f "$REFINE_HOME/daemon.json" ] && break; sleep 0.1; done
xvfb-run -a -s "-screen 0 1280x800x24" bash -s "$bin" "$out" <<'INNER'
set -euo pipefail
bin=$1 out=$2
"$bin" >"$out/desktop-attached.log" 2>&1 &
pid=$!
fail() { echo "desktop smoke (attach): $*" >&2; tail -n 40 "$out/desktop-attached.log" >&2 || true; kill "$pid" 2>/dev/null || true; exit 1; }
for _ in $(seq 1 100); do grep -q 'attached to the running daemon' "$out/desktop-attached.log" && break; kill -0 "$pid" 2>/dev/null || fail "the app exited"; sleep 0.2; done
grep -q 'attached to the running daemon' "$out/desktop-attached.log" || fail "did not attach"
for _ in $(seq 1 100); do grep -q 'rpc op=apps.list' "$out/desktop-attached.log" && break; sleep 0.2; done
grep -q 'rpc op=apps.list' "$out/desktop-attached.log" || fail "the window's UI never called the daemon"
sleep 2
import -window root "$out/window-attached.png"
echo "desktop smoke: a second launch attached to the running daemon; screenshot $out/window-attached.png"
url=$(sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' "$REFINE_HOME/daemon.json")
tests/desktop/terminal.sh "$url" "$(cat "$REFINE_HOME/token")" "$out" attached "$out/desktop-attached.log" || fail "the terminal does not work in the attached window"
kill "$pid"
wait "$pid" || true
INNER
kill "$daemon"
wait "$daemon" || true
