#!/bin/bash
# Peak RSS of the push API (server) and of the CLI for 1-line, 100k- and 1M-line order_line
# imports (docs/benchmarks.md, issue 21). Input: lines-{100k,1m}.csv with the header
# order_no,line_no,order_date,amount,quantity,status (e.g. SO0000001,1,2026-01-01,12.34,1,normal).
set -u
S=$(realpath "${SALESOPS:-.venv/bin/salesops}")
PY=$(dirname "$S")/python
mkdir -p /tmp/integ-bench && cd /tmp/integ-bench
[ -f lines-1m.csv ] || "$PY" - <<'PYEOF'
import random
random.seed(1)
for n, name in ((100_000, "lines-100k.csv"), (1_000_000, "lines-1m.csv")):
    with open(name, "w") as f:
        f.write("order_no,line_no,order_date,amount,quantity,status\n")
        for i in range(n):
            f.write(f"SO{i//3:07d},{i%3+1},2026-{i%12+1:02d}-{i%28+1:02d},"
                    f"{random.randint(100, 99999)/100:.2f},{i%7+1},normal\n")
PYEOF
rss() { grep -E "Maximum resident|User time|System time|Elapsed" "$1" | sed 's/^\s*//'; }
run_cli() {  # $1 file  $2 label
  rm -f cli.duckdb*; export SALESOPS_DATABASE_URL=duckdb:////tmp/integ-bench/cli.duckdb
  $S import product /dev/null >/dev/null 2>&1 || true   # migrate first
  /usr/bin/time -v $S import order_line "$1" > cli-$2.out 2> cli-$2.time
  echo "== CLI $2"; tail -1 cli-$2.out; rss cli-$2.time
}
run_server() {  # $1 file  $2 label
  rm -rf srv.duckdb* uploads; export SALESOPS_DATABASE_URL=duckdb:////tmp/integ-bench/srv.duckdb
  export SALESOPS_UPLOAD_DIR=/tmp/integ-bench/uploads
  $S users add bench --role admin > /dev/null 2>&1
  TOKEN=$($S tokens create --user bench 2>/dev/null | grep -oE 'sob_[A-Za-z0-9_-]+|[A-Za-z0-9_-]{40,}' | head -1)
  /usr/bin/time -v $S serve --port 18721 > srv-$2.log 2> srv-$2.time &
  TPID=$!
  for i in $(seq 1 120); do curl -sf http://127.0.0.1:18721/api/v1/health >/dev/null && break; sleep 1; done
  curl -s -o push-$2.json -w "HTTP %{http_code} in %{time_total}s\n" -H "Authorization: Bearer $TOKEN" \
    -H "content-type: text/csv" --data-binary @"$1" http://127.0.0.1:18721/api/v1/import/order_line
  SPID=$(pgrep -P $TPID | head -1); kill -INT $SPID; wait $TPID
  echo "== server $2"; head -c 300 push-$2.json; echo; rss srv-$2.time
}
cat /proc/loadavg
head -2 lines-100k.csv > tiny.csv
for label in tiny 100k 1m; do
  f=lines-$label.csv; [ $label = tiny ] && f=tiny.csv
  run_cli $f $label
  run_server $f $label
done
cat /proc/loadavg
