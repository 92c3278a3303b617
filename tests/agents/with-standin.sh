#!/usr/bin/env bash
# with-standin.sh SCRIPTS_DIR LOG_FILE CMD [ARGS...]: start standin.py on a free loopback port,
# export STANDIN_URL=http://127.0.0.1:PORT, run CMD, stop the stand-in; exit with CMD's status.
# Meant to run inside offline.sh:  offline.sh with-standin.sh scripts/ log.jsonl sh -c '...'
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
scripts="$1" log="$2"; shift 2
fifo="$(mktemp -u)"; mkfifo "$fifo"
python3 "$here/standin.py" --port 0 --scripts "$scripts" --log "$log" >"$fifo" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$fifo"' EXIT
read -r line <"$fifo"
export STANDIN_URL="${line##* }"
set +e
"$@"
rc=$?
exit $rc
