#!/usr/bin/env bash
# A terminal in the desktop window, driven like a person would (run by smoke.sh under Xvfb while
# the window is up). A session made over HTTP is opened on the window's Terminal page (the command
# palette, by keyboard) and attaches through the desktop process (the page holds no token): the
# daemon counts the window as a client; a command typed into the window runs in the session; a
# terminal query (Primary Device Attributes) printed by the program is answered by xterm.js in the
# window, which proves its output reached the window, also after a flood of output; a reload of
# the page does not leave its old attachment behind; leaving the page detaches.
# usage: terminal.sh URL TOKEN OUT NAME LOG   (LOG: the desktop process's log, at debug level;
# writes OUT/terminal-NAME.png)
set -euo pipefail
url=$1 token=$2 out=$3 name=$4 log=$5

fail() { echo "desktop terminal ($name): $*" >&2; exit 1; }
api() {
  local method=$1 path=$2
  shift 2
  curl -fsS -X "$method" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@" "$url$path"
}
# Prints field $1 of the JSON object on stdin.
field() { node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(v[process.argv[1]]);' "$1"; }
clients() { api GET "/api/v1/terminal/$tid" | field clients; }
scrollback() { api GET "/api/v1/terminal/$tid/scrollback?kb=64" | field text; }
shows() { scrollback | grep -E "$1" >/dev/null; }
attached() { [ "$(clients)" -ge 1 ]; }
detached() { [ "$(clients)" -eq 0 ]; }
# Waits up to $1 seconds for the command in the remaining arguments to succeed.
within() {
  local seconds=$1
  shift
  for _ in $(seq 1 $((seconds * 5))); do "$@" && return 0; sleep 0.2; done
  return 1
}
# Opens a page through the command palette (Ctrl+K, type, Enter), as a keyboard user would.
go_to() {
  xdotool key --clearmodifiers ctrl+k
  sleep 0.5
  xdotool type --delay 25 "Go to $1"
  sleep 0.3
  xdotool key Return
}

repo=$(mktemp -d)/desktop-term-app
mkdir -p "$repo"
echo '# desktop terminal' >"$repo/README.md"
"$(dirname "$0")/../support/git-repo.sh" "$repo"
app=$(api POST /api/v1/apps -d "{\"path\": \"$repo\"}" | field id)
# A plain interactive bash: no rc files, so nothing in the user's set-up changes the output.
tid=$(api POST /api/v1/terminal -d "{\"appId\": \"$app\", \"argv\": [\"bash\", \"--noprofile\", \"--norc\", \"-i\"], \"title\": \"desktop-$name\"}" | field id)

wid=$(xdotool search --onlyvisible --name '^Refine$' | head -n 1)
[ -n "$wid" ] || fail "no visible window titled Refine"
xdotool windowfocus --sync "$wid" 2>/dev/null || true
xdotool mousemove --window "$wid" 640 400
# The first start asks who you are: Escape answers "not now" (and closes a palette left open by
# an attempt whose keys were lost on a busy machine; harmless when nothing is open).
for _ in 1 2 3; do
  xdotool key Escape
  sleep 0.5
  go_to Terminal
  within 10 attached && break
done
attached || fail "the window never attached to session $tid (clients: $(clients))"
# The scrollback replay has reached the page by now; let the prompt arrive, then type.
within 10 shows '[$#] $' || fail "no shell prompt in the session"
sleep 0.5
xdotool type --delay 40 'echo hi-from-desktop-$((6*7))'
xdotool key Return
# Only the program's output has "42" (the typed line has the arithmetic).
within 15 shows 'hi-from-desktop-42' || fail "what was typed in the window never ran; scrollback: $(scrollback | tail -n 5)"

# Types TEXT and Enter into the session through the API (not through the window).
say() {
  api POST "/api/v1/terminal/$tid/input" \
    -d "$(node -e 'console.log(JSON.stringify({ id: process.argv[1], text: process.argv[2] + "\r" }))' "$tid" "$1")" >/dev/null
}
# The program asks the terminal for its attributes (Primary DA) and prints the answer after TAG;
# only xterm.js in the window can answer, so an answer proves the program's output reached it.
ask_terminal() { say "stty -echo -icanon; printf '\\033[c'; IFS= read -r -d c -t 5 da; stty sane; echo \"$1:\${da#*[}\""; }

ask_terminal da-reply
within 15 shows 'da-reply:\?[0-9]' ||
  fail "xterm.js in the window never answered the terminal query (its output did not arrive); scrollback: $(scrollback | tail -n 5)"

# The screenshot shows the typed command, its output and the terminal's answer.
sleep 1
import -window root "$out/terminal-$name.png"
colors=$(convert "$out/terminal-$name.png" -format %k info:)
[ "$colors" -gt 64 ] || fail "the window looks blank ($colors colours)"

# A flood (about 2 MiB, more than the desktop process lets the page leave unacknowledged) must not
# stall the link: the page acknowledges what xterm.js took, so a query after it is answered too.
say 'seq -f "line %07g of the flood" 1 80000; echo flood-$((40+2))-done'
within 60 shows '^flood-42-done' || fail "the flood never finished"
ask_terminal da-again
within 30 shows 'da-again:\?[0-9]' || fail "after the flood the window no longer answers (output stalled); scrollback: $(scrollback | tail -n 3)"

# A reload of the page (WebKit's context menu, Reload) ends the old page's attachment and the
# reloaded page attaches again: one client, not two.
xdotool mousemove --window "$wid" 700 90 click 3
sleep 0.7
xdotool mousemove_relative 53 92 click 1
reloaded() { grep -q 'page reloaded or closed: terminal attachments ended' "$log"; }
within 10 reloaded || fail "no reload, or it did not end the old page's attachment (see $log)"
one_client() { [ "$(clients)" -eq 1 ]; }
within 15 one_client || fail "after a reload the session has $(clients) clients (1 expected)"

# Leaving the page detaches: the daemon loses the window as a client, the session keeps running.
# (Ctrl+K inside the terminal belongs to the program: click the page's blank header area first.)
for _ in 1 2 3; do
  xdotool mousemove --window "$wid" 700 90 click 1
  xdotool key Escape
  sleep 0.3
  go_to Dashboard
  within 10 detached && break
done
detached || fail "leaving the Terminal page left the window attached (clients: $(clients))"
api DELETE "/api/v1/terminal/$tid" >/dev/null
rm -rf "$(dirname "$repo")"
echo "desktop terminal ($name): attached from the window, typed input ran, output reached xterm.js (also after a flood), a reload left one client, leaving detached; screenshot $out/terminal-$name.png"
