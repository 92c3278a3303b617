#!/usr/bin/env bash
# `make package`: a .deb of the desktop app with the `refine` CLI in /usr/bin, built by Tauri's
# bundler (the deb bundler downloads nothing). The Tauri CLI comes from npm (@tauri-apps/cli,
# pinned, cached under ~/.cache). Usage: scripts/package.sh [release|debug]; prints the .deb path.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-release}"
cache="${REFINE_PACKAGE_CACHE:-$HOME/.cache/refine-package}"
tauri="$cache/npm/node_modules/.bin/tauri"
if [ ! -x "$tauri" ]; then
  echo "Installing the Tauri CLI (@tauri-apps/cli 2.12.6) into $cache" >&2
  npm install --prefix "$cache/npm" --no-audit --no-fund --loglevel=error "@tauri-apps/cli@2.12.6" >/dev/null
fi
target="${CARGO_TARGET_DIR:-$PWD/target}"
case "$profile" in
  release) cargo build --release -p refine-cli >&2; flag="" ;;
  debug) cargo build -p refine-cli >&2; flag="--debug" ;;
  *) echo "usage: scripts/package.sh [release|debug]" >&2; exit 2 ;;
esac
cli="$target/$profile/refine"
[ -x "$cli" ] || { echo "no CLI binary at $cli" >&2; exit 1; }
rm -f "$target/$profile/bundle/deb/"*.deb
# The CLI joins the package as /usr/bin/refine (the path depends on the target dir, so it is
# given here rather than in tauri.conf.json).
"$tauri" build $flag --bundles deb --ci \
  --config "{\"bundle\":{\"linux\":{\"deb\":{\"files\":{\"/usr/bin/refine\":\"$cli\"}}}}}" >&2
ls "$target/$profile/bundle/deb/"*.deb
