#!/usr/bin/env bash
# Every benchmark in one run (`make bench`): the Lambda benchmark (all functions vs the
# Python/boto3 baselines: binary size, cold start, RSS, warm duration, CPU per request,
# AWS requests, round trips and capacity units, cost model, a team's month), DynamoDB write units of log
# ingestion, the scanner's reads, and a top-of-the-hour heartbeat burst. The report goes to
# stdout and bench/results/latest.txt (+ latest.json).
#
# First the deploy build (bench/build.sh: cold and incremental `sam build`, zipped artifacts);
# LOOKOUT_BENCH_BUILD=0 skips it.
#
#   bench/run.sh [coldstart flags...]     default: --runs 5 --warm 200 --metered 5
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results
mkdir -p "$out"
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--runs 5 --warm 200 --metered 5)
# Each benchmark runs even when an earlier one failed (a failed target is reported, not
# hidden); the command fails at the end if any did.
status=0
{
  echo "# make bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -m), commit $(git rev-parse --short HEAD)"
  echo
  if [ "${LOOKOUT_BENCH_BUILD:-1}" != 0 ]; then
    bench/build.sh || { echo "bench/build.sh FAILED"; status=1; }
    echo
  fi
  cargo run --quiet --release -p lookout-bench --bin coldstart -- "${args[@]}" --json "$out/latest.json" \
    || { echo "coldstart FAILED"; status=1; }
  echo
  # A small team's month priced from this run's per-operation figures (docs/cost.md).
  cargo run --quiet --release -p lookout-bench --bin team_bill -- "$out/latest.json" \
    || { echo "team_bill FAILED"; status=1; }
  echo
  echo "== log_write_units"
  cargo run --quiet --release -p lookout-bench --bin log_write_units || { echo "FAILED"; status=1; }
  echo
  echo "== scanner_reads"
  cargo run --quiet --release -p lookout-bench --bin scanner_reads || { echo "FAILED"; status=1; }
  echo
  # A top-of-the-hour burst of heartbeats: per ping requests, round trips, write units (with the
  # indexes'), CPU (docs/capacity.md).
  cargo run --quiet --release -p lookout-bench --bin burst -- --pings 20000 --apps 500 \
    || { echo "burst FAILED"; status=1; }
  exit $status
} | tee "$out/latest.txt"
