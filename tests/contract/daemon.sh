# Sourced by the contract checks: start_daemon BIN DIR starts a headless daemon with its data in
# DIR/data and one Git repository at DIR/app, and sets $pid, $url and $token. stop_daemon ends it
# and fails when it panicked.
start_daemon() {
  local bin="$1" dir="$2"
  repo="$dir/app"
  mkdir -p "$repo"
  printf 'print("hello")\n' > "$repo/main.py"
  "$(dirname "${BASH_SOURCE[0]}")/../support/git-repo.sh" "$repo"
  REFINE_LOG=warn "$bin" --serve --port 0 --data-dir "$dir/data" > "$dir/out" 2>"$dir/err" &
  pid=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$dir/out" 2>/dev/null && break
    sleep 0.1
  done
  url="$(sed -n 's/.*listening on \(http:\/\/127.0.0.1:[0-9]*\).*/\1/p' "$dir/out" | head -1)"
  token="$(cat "$dir/data/token")"
  daemon_dir="$dir"
}

stop_daemon() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if grep -q "panicked" "$daemon_dir/err"; then
    echo "the daemon panicked:" >&2
    cat "$daemon_dir/err" >&2
    return 1
  fi
}
