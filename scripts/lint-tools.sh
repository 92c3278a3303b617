#!/usr/bin/env bash
# The Rust lint tools `make lint` runs beyond rustfmt and clippy, pinned and installed once into
# ~/.cache/refine-lint (built in a throwaway target dir, ~1 minute on 2 cores). Prints the bin dir.
set -euo pipefail
root="${REFINE_LINT_ROOT:-$HOME/.cache/refine-lint}"
machete_version=0.9.2
if ! "$root/bin/cargo-machete" --version 2>/dev/null | grep -q "$machete_version"; then
  echo "Installing cargo-machete $machete_version into $root" >&2
  target="$(mktemp -d)"
  CARGO_TARGET_DIR="$target" cargo install --locked --quiet "cargo-machete@$machete_version" --root "$root" >&2
  rm -rf "$target"
fi
echo "$root/bin"
