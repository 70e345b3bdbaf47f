#!/usr/bin/env bash
# Peak memory (RSS) of cfsign upload, for its memory budget:
# part size x (concurrency + 2) stays within --max-memory (default 512MiB).
# Uploads one file to a sandbox running in its own process (so the stored
# bytes do not count) and prints a Markdown table of peak RSS per flag set.
#
# usage: bench/upload_rss.sh [MiB]   (default 300, the issue's file)
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-300}
for tool in jq /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "upload_rss.sh: $tool is required" >&2; exit 1; }
done
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_REGION=us-east-1

work=$(mktemp -d)
sandbox_pid=
cleanup() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/cfsign" .
cf="$work/cfsign"

# The sandbox keeps objects on disk (no --memory): its memory is not cfsign's.
"$cf" sandbox --json --data "$work/sandbox" >"$work/sandbox.json" 2>"$work/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 100); do [ -s "$work/sandbox.json" ] && break; sleep 0.1; done # polling a child's output
info=$(head -1 "$work/sandbox.json")
bucket=$(jq -r .bucket <<<"$info")
export AWS_ACCESS_KEY_ID=$(jq -r .access_key_id <<<"$info")
export AWS_SECRET_ACCESS_KEY=$(jq -r .secret_access_key <<<"$info")
export AWS_ENDPOINT_URL_S3=$(jq -r .s3_endpoint <<<"$info")

head -c $((mib * 1024 * 1024)) /dev/urandom >"$work/big.bin"
echo "| cfsign upload, ${mib} MiB file | peak RSS |"
echo "|---|---|"
n=0
for flags in "" "--part-size 1GiB" "--part-size 64MiB --concurrency 16" "--part-size 64MiB --concurrency 16 --max-memory 2GiB"; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  kib=$(/usr/bin/time -f '%M' "$cf" upload "$work/big.bin" "s3://$bucket/rss/$n.bin" $flags 2>&1 >/dev/null | tail -1)
  echo "| \`${flags:-(defaults)}\` | $((kib / 1024)) MiB |"
done
