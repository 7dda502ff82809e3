#!/usr/bin/env bash
# Every benchmark in one run (`make bench`): the Lambda benchmark (all functions vs the
# Python/boto3 baselines: binary size, cold start, RSS, warm duration, CPU per request,
# AWS requests and capacity units, cost model), DynamoDB write units of log ingestion and the
# scanner's reads. The report goes to stdout and bench/results/latest.txt (+ latest.json).
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
{
  echo "# make bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -m)"
  echo
  if [ "${LOOKOUT_BENCH_BUILD:-1}" != 0 ]; then
    bench/build.sh
    echo
  fi
  cargo run --quiet --release -p lookout-bench --bin coldstart -- "${args[@]}" --json "$out/latest.json"
  echo
  echo "== log_write_units"
  cargo run --quiet --release -p lookout-bench --bin log_write_units
  echo
  echo "== scanner_reads"
  cargo run --quiet --release -p lookout-bench --bin scanner_reads
} | tee "$out/latest.txt"
