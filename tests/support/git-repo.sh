#!/usr/bin/env bash
# The test Git repository for the shell and browser tiers (the Rust tiers have
# refine_e2e::git_repo and the server tests' support::git_repo): makes DIR a repository on
# `main` whose one commit holds whatever DIR already contains (a README when it is empty),
# committed by a fixed identity that ignores the machine's Git configuration.
#   tests/support/git-repo.sh DIR [MESSAGE]
set -euo pipefail
dir="${1:?usage: git-repo.sh DIR [MESSAGE]}"
message="${2:-initial commit}"
mkdir -p "$dir"
if [ -z "$(ls -A "$dir")" ]; then
  printf '# %s\n' "$(basename "$dir")" >"$dir/README.md"
fi
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME='Refine Test' GIT_AUTHOR_EMAIL=test@refine.invalid
export GIT_COMMITTER_NAME='Refine Test' GIT_COMMITTER_EMAIL=test@refine.invalid
git -C "$dir" init -q -b main
git -C "$dir" add -A
git -C "$dir" commit -q -m "$message"
