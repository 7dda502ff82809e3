#!/usr/bin/env bash
# The deploy build as an operator runs it (part of `make bench`): `sam build` of the whole
# stack, with samconfig.toml's settings, in a fresh clone of HEAD (cold: no target/), then again
# after a one-line change in one domain's crate; then every build's artifact zipped the way
# `sam deploy` uploads it (Python's zipfile, deflate). Prints a report on stdout.
#
#   bench/build.sh [domain]      the domain whose crate gets the one-line change (default tracker)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
domain=${1:-tracker}
sam=$root/.local/venv-sam/bin/sam
# The pinned AWS SAM CLI lives in its own virtualenv; the validate script makes it.
[ -x "$sam" ] || scripts/sam_validate.sh >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/lookout-sam-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
git clone -q "$root" "$work/lookout"
cd "$work/lookout"
commit=$(git rev-parse --short HEAD)

now_ms() { date +%s%3N; }
# Runs `sam build`, its output in $work/<label>.log; prints the seconds it took.
timed_build() {
  local label=$1 t0 t1
  t0=$(now_ms)
  if ! "$sam" build > "$work/$label.log" 2>&1; then
    tail -40 "$work/$label.log" >&2
    echo "sam build ($label) failed" >&2
    return 1
  fi
  t1=$(now_ms)
  awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", ms / 1000 }'
}

echo "== sam build (fresh clone of $commit, $(nproc) CPUs; samconfig.toml's settings)"
cold=$(timed_build cold)
builds=$(grep -c '^Building codeuri' "$work/cold.log")
echo "cold (no target/):                               ${cold} s   target <= 480 s"
changed=shared/$domain/src/lib.rs
echo "// bench/build.sh: a one-line change" >> "$changed"
again=$(timed_build incremental)
echo "after a one-line change in $changed: ${again} s   target <= 90 s"
# Both builds' logs stay (target/sam-build-logs/) to tell what a build compiled again.
mkdir -p "$root/target/sam-build-logs"
cp "$work/cold.log" "$work/incremental.log" "$root/target/sam-build-logs/"
# SAM does not show cargo's output: what was compiled again is what the target dir holds newer
# than the cold build's end.
rebuilt=$(find target -newer "$work/cold.log" -name '*.rlib' | sed 's|.*/lib||; s|-[0-9a-f]*\.rlib$||' | sort -u)
echo "libraries compiled again after the change: $(echo "$rebuilt" | grep -c .) ($(echo "$rebuilt" | head -5 | tr '\n' ' ')...)"
echo "cargo builds per sam build: $builds (one per template Binary: each domain's deploy binary, which its functions share, and deliver-messages's own)"
echo
echo "== Artifacts (.aws-sam/build, zipped as sam deploy uploads them; target <= 4 MiB = 4194304 bytes)"
python3 - "$work/cold.log" <<'PY'
import glob, io, os, re, sys, zipfile
groups = {}
for line in open(sys.argv[1]):
    m = re.match(r"Building codeuri: .* functions: (.*)$", line.strip())
    if m:
        names = [n.strip() for n in m.group(1).split(",")]
        groups[names[0]] = names
rows, worst = [], 0
for path in sorted(glob.glob(".aws-sam/build/*/bootstrap")):
    build = os.path.basename(os.path.dirname(path))
    first = build.removesuffix("-Shared")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.write(path, "bootstrap")
    zipped = len(buf.getvalue())
    worst = max(worst, zipped)
    fns = groups.get(first, [first])
    rows.append((first, os.path.getsize(path), zipped, len(fns)))
print(f"{'build (first function)':<32} {'binary':>10} {'zipped':>10} {'MiB':>6}  functions")
for first, size, zipped, n in rows:
    print(f"{first:<32} {size:>10} {zipped:>10} {zipped / 2**20:>6.2f}  {n}")
print(f"largest zipped artifact: {worst} bytes = {worst / 2**20:.2f} MiB "
      f"({'within' if worst <= 4 * 2**20 else 'OVER'} 4 MiB)")
PY
