#!/usr/bin/env bash
# Desktop notifications under Xvfb with a real notification daemon (dunst) on a private D-Bus
# session: a Goal the scripted agent brings to review makes the window's process send a native
# notification (seen on the bus and on screen), the tray counts the Goal, and clicking the
# notification (dunst's default action) opens that Goal in the window. Keeps
# artifacts/desktop/notification.png and notification-clicked.png.
# usage: notify.sh path/to/refine-desktop path/to/refine
set -euo pipefail
bin=${1:?usage: notify.sh path/to/refine-desktop path/to/refine}
cli=${2:?usage: notify.sh path/to/refine-desktop path/to/refine}
cd "$(dirname "$0")/../.."
out=artifacts/desktop
mkdir -p "$out"
rm -f "$out"/notification*.png "$out"/notify-*.log
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export REFINE_HOME="$work/data" REFINE_PORT=0 REFINE_EXIT_ON_CLOSE=1 REFINE_LOG="info,refine_desktop=debug"
export XDG_DATA_HOME="$work/xdg-data" XDG_CONFIG_HOME="$work/xdg-config"
tests/support/git-repo.sh "$work/shop" >/dev/null
cli=$(realpath "$cli")

xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -s "$bin" "$cli" "$out" "$work" <<'INNER'
set -euo pipefail
bin=$1 cli=$2 out=$3 work=$4
log="$out/notify-desktop.log"
fail() {
  echo "desktop notifications: $*" >&2
  tail -n 40 "$log" >&2 || true
  kill "${pid:-}" "${monitor:-}" 2>/dev/null || true
  exit 1
}
within() { local s=$1; shift; for _ in $(seq 1 $((s * 5))); do "$@" && return 0; sleep 0.2; done; return 1; }

# The bus starts dunst on its first call (its D-Bus service file); it ends with the session.
within 10 dunstctl is-paused >/dev/null 2>&1 || fail "dunst did not start"
dbus-monitor "interface='org.freedesktop.Notifications',member='Notify'" >"$out/notify-bus.log" 2>&1 &
monitor=$!

"$bin" >"$log" 2>&1 &
pid=$!
within 30 test -f "$REFINE_HOME/daemon.json" || fail "the embedded daemon never wrote daemon.json"
within 20 grep -q 'rpc op=apps.list' "$log" || fail "the window's UI never called the daemon"

"$cli" apps add "$work/shop" >/dev/null
"$cli" call settings.update '{"scope": "global", "revision": 0, "patch": {"agents": {"defaultProfile": "scripted"}, "runner": {"pollSeconds": 1}}}' >/dev/null
prompt=$'Say hello.\n\n```refine-script\nimplement: write hello.txt hello\\n\n```\n'
id=$("$cli" --json goal create "Say hello" --prompt "$prompt" --todo | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).id)')

# The Goal reaches review: a notification goes to the bus, dunst shows it, the tray counts it.
within 60 grep -q 'notification shown' "$log" || fail "no notification was shown for the Goal in review"
grep -q 'is ready for review' "$out/notify-bus.log" || fail "no Notify call with the Goal's summary on the bus"
grep -q 'Say hello' "$out/notify-bus.log" || fail "the notification does not name the Goal"
within 10 test "$(dunstctl count displayed)" -ge 1 || fail "dunst displays no notification"
within 10 grep -q 'tray count count=1' "$log" || fail "the tray does not count the Goal in review"
import -window root "$out/notification.png"

# A click (the default action) brings the window up on that Goal.
dunstctl action 0
within 10 grep -q 'notification clicked' "$log" || fail "the click did not reach Refine"
within 10 grep -q "rpc op=goals.get" "$log" || fail "the window did not open the Goal"
sleep 1
import -window root "$out/notification-clicked.png"
dunstctl close-all
within 5 sh -c 'dunstctl history | grep -q "ready for review"' || fail "the notification is not in dunst's history"
echo "desktop notifications: Goal $id in review notified (bus, dunst, tray count 1), click opened it"
kill "$pid" "$monitor" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
INNER
