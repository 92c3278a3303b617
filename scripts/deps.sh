#!/usr/bin/env bash
# Install what Refine needs on Debian, skipping what is already there: apt packages (Tauri's
# WebKit stack, Xvfb and Chromium for tests, git) and the UI's npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  git pkg-config build-essential file curl
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libssl-dev libxdo-dev
  xvfb xauth imagemagick x11-apps xdotool fonts-dejavu-core chromium tmux dbus dunst
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for tool in cargo node npm; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed (Refine needs Rust via rustup, and Node.js 20+ with npm)" >&2; exit 1; }
done

# npm ci only when the lock file changed since the last install.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "Installing UI packages (npm ci)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi
