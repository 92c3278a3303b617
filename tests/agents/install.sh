#!/usr/bin/env bash
# Install the pinned agent CLIs used by the offline real-CLI tests, and bubblewrap (Codex's
# workspace-write sandbox runs commands through the system `bwrap`).
#
#   tests/agents/install.sh                 install what is missing (silent when all is there)
#   tests/agents/install.sh --print-paths   same, then print `claude=/abs/path` lines
#   tests/agents/install.sh --paths-only    print the paths of what is installed, install nothing
#   tests/agents/install.sh --no-opencode   skip opencode (also REFINE_AGENTS_NO_OPENCODE=1)
#
# Each package goes into its own npm prefix:
#   ${REFINE_AGENTS_CACHE:-$HOME/.cache/refine-agents}/<pkg>@<version>/node_modules/.bin/<bin>
# A prefix counts as installed once its `.installed` stamp exists (written after the binary
# answered `--version`), so an interrupted install is redone.
set -euo pipefail

CACHE="${REFINE_AGENTS_CACHE:-$HOME/.cache/refine-agents}"
# name|npm package|version|binary
PKGS=(
  "claude|@anthropic-ai/claude-code|2.1.332|claude"
  "codex|@openai/codex|0.171.0|codex"
  "opencode|opencode-ai|1.18.33|opencode"
)

print=0 install=1 opencode=1
[ "${REFINE_AGENTS_NO_OPENCODE:-}" = 1 ] && opencode=0
for a in "$@"; do
  case "$a" in
    --print-paths) print=1 ;;
    --paths-only) print=1 install=0 ;;
    --no-opencode) opencode=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

prefix_of() { echo "$CACHE/$2@$3"; }   # name pkg version -> prefix dir

if [ "$install" = 1 ]; then
  if ! command -v bwrap >/dev/null 2>&1; then
    echo "install.sh: installing bubblewrap" >&2
    $sudo apt-get install -y -qq bubblewrap >/dev/null 2>&1 || {
      $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq bubblewrap >/dev/null
    }
  fi
  for row in "${PKGS[@]}"; do
    IFS='|' read -r name pkg ver bin <<<"$row"
    [ "$name" = opencode ] && [ "$opencode" = 0 ] && continue
    dir="$(prefix_of "$name" "$pkg" "$ver")"
    [ -f "$dir/.installed" ] && continue
    echo "install.sh: installing $pkg@$ver into $dir" >&2
    rm -rf "$dir"
    mkdir -p "$dir"
    # --prefix keeps it out of any project package.json; no audit/fund chatter.
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --no-save \
      "$pkg@$ver" >"$dir/npm-install.log" 2>&1 || {
        echo "install.sh: npm install $pkg@$ver failed; see $dir/npm-install.log" >&2
        tail -5 "$dir/npm-install.log" >&2
        exit 1
      }
    exe="$dir/node_modules/.bin/$bin"
    if ! out="$("$exe" --version </dev/null 2>&1)"; then
      echo "install.sh: $exe --version failed: $out" >&2
      exit 1
    fi
    printf '%s\n' "$out" >"$dir/.installed"
  done
fi

if [ "$print" = 1 ]; then
  for row in "${PKGS[@]}"; do
    IFS='|' read -r name pkg ver bin <<<"$row"
    dir="$(prefix_of "$name" "$pkg" "$ver")"
    [ -f "$dir/.installed" ] && echo "$name=$dir/node_modules/.bin/$bin"
  done
  command -v bwrap >/dev/null 2>&1 && echo "bwrap=$(command -v bwrap)"
fi
exit 0
