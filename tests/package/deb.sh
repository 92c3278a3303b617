#!/usr/bin/env bash
# The .deb installed as a user would: `dpkg -i`, then `refine --version`, `refine --serve` from
# the installed path answering on loopback, and the desktop smoke test against the installed
# binaries; removed again at the end. Needs root (or sudo). Usage: tests/package/deb.sh FILE.deb
set -euo pipefail
deb="${1:?usage: tests/package/deb.sh FILE.deb}"
cd "$(dirname "$0")/../.."
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
pkg="$(dpkg-deb -f "$deb" Package)"
echo "package $pkg $(dpkg-deb -f "$deb" Version), depends: $(dpkg-deb -f "$deb" Depends); installs $(dpkg-deb -c "$deb" | grep -o 'usr/bin/[^ ]*' | tr '\n' ' ')"
$sudo dpkg -i "$deb" >/dev/null
trap '$sudo dpkg -r "$pkg" >/dev/null 2>&1 || true' EXIT
test -x /usr/bin/refine || { echo "the package does not install /usr/bin/refine" >&2; exit 1; }
desktop="$(dpkg -L "$pkg" | grep -E '^/usr/bin/' | grep -v '^/usr/bin/refine$' | head -1)"
test -n "$desktop" && test -x "$desktop" || { echo "the package installs no desktop binary" >&2; exit 1; }
out="$(/usr/bin/refine --version)"
echo "$out" | grep -q "^refine " || { echo "refine --version said: $out" >&2; exit 1; }
work="$(mktemp -d)"
/usr/bin/refine --serve --port 0 --data-dir "$work/data" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
url="$(sed -n 's/.*listening on \(http:\/\/127.0.0.1:[0-9]*\).*/\1/p' "$work/out" | head -1)"
[ -n "$url" ] || { cat "$work/err" >&2; echo "the installed refine --serve did not start" >&2; exit 1; }
curl -fsS "$url/api/v1/system/health" | grep -q '"ok"'
curl -fsS -H "Authorization: Bearer $(cat "$work/data/token")" "$url/api/v1/system/info" | grep -q '"version"'
REFINE_HOME="$work/data" /usr/bin/refine status | grep -q "is running"
kill "$pid"; wait "$pid" 2>/dev/null || true
rm -rf "$work"
tests/desktop/smoke.sh "$desktop" /usr/bin/refine
echo "the .deb installs, the installed CLI and daemon work, the installed desktop app passes its smoke test"
