#!/usr/bin/env bash
# Memory of the sandbox process as data piles up: three uploads of 200 MB
# (distinct keys) into an on-disk `cfsign sandbox`, uploaded by a separate
# `cfsign upload` process; prints the sandbox's peak RSS (VmHWM) and current
# RSS after each, then the store's disk usage before and after deleting them.
#
# usage: bench/sandbox_rss.sh [--memory]   (--memory: the in-memory sandbox, for contrast)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=()
[ "${1:-}" = "--memory" ] && mode=(--memory)
for tool in jq aws; do command -v "$tool" >/dev/null || { echo "sandbox_rss.sh: $tool is required" >&2; exit 1; }; done
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/cfsign" .
"$work/cfsign" sandbox --json "${mode[@]}" --data "$work/sandbox" >"$work/sandbox.json" 2>"$work/sandbox.log" &
pid=$!
for _ in $(seq 100); do [ -s "$work/sandbox.json" ] && break; sleep 0.1; done
info=$(head -1 "$work/sandbox.json")
s3=$(jq -r .s3_endpoint <<<"$info")
export AWS_ACCESS_KEY_ID=$(jq -r .access_key_id <<<"$info")
export AWS_SECRET_ACCESS_KEY=$(jq -r .secret_access_key <<<"$info")
export AWS_ENDPOINT_URL_S3=$s3

mib() { awk -v k="$(grep "^$1:" /proc/$pid/status | awk '{print $2}')" 'BEGIN{printf "%.0f MiB", k/1024}'; }
echo "sandbox ${mode[*]:-(on disk)}: started, peak RSS $(mib VmHWM), RSS $(mib VmRSS)"
head -c 200000000 /dev/urandom >"$work/big.bin"
for i in 1 2 3; do
  "$work/cfsign" upload "$work/big.bin" "s3://sandbox/rss/big-$i.bin" >/dev/null 2>&1
  echo "after upload $i of 200 MB: peak RSS $(mib VmHWM), RSS $(mib VmRSS)"
done
if [ ${#mode[@]} -eq 0 ]; then
  echo "store on disk: $(du -sm "$work/sandbox/s3" | cut -f1) MiB"
  aws s3 rm --quiet --recursive --endpoint-url "$s3" s3://sandbox/rss/
  echo "after deleting them: $(du -sm "$work/sandbox/s3" | cut -f1) MiB"
fi
