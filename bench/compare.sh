#!/usr/bin/env bash
# Side-by-side performance of cfsign against the tools users would pick instead
# (aws CLI v1, botocore in process, curl, openssl), side by side in one run on
# the machine it runs on. Prints a Markdown table; docs/performance.md holds
# its output.
#
# usage: bench/compare.sh [--quick]
#   --quick  smaller sizes (64 MiB upload, 20,000 objects) for a fast look
set -euo pipefail
cd "$(dirname "$0")/.."

quick=false
[ "${1:-}" = "--quick" ] && quick=true
upload_mib=256 list_n=100000 batch_n=20000 ecdsa_n=200000
if $quick; then upload_mib=64 list_n=20000 batch_n=5000 ecdsa_n=50000; fi

for tool in aws curl openssl python3 jq /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is required" >&2; exit 1; }
done
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1

work=$(mktemp -d)
sandbox_pid=
cleanup() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/cfsign" .
cf="$work/cfsign"
boring="$work/cfsign-boring"
GOEXPERIMENT=boringcrypto go build -o "$boring" . 2>/dev/null || boring=
ossl_build="$work/cfsign-openssl"
go build -tags openssl -o "$ossl_build" . 2>/dev/null || ossl_build=

now_ms() { date +%s%3N; }
# peak RSS in MiB of a command, its stdout discarded
peak_mib() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.0f", $1/1024}'; }
rows=()
row() { rows+=("| $1 | $2 | $3 | $4 |"); }
per_s() { awk -v n="$1" -v ms="$2" 'BEGIN{ if (ms<1) ms=1; printf "%.0f", n*1000/ms }'; }
mbps() { awk -v b="$1" -v ms="$2" 'BEGIN{ if (ms<1) ms=1; printf "%.0f", b/1e6*1000/ms }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b==0) b=1; printf "%.1fx", a/b }'; }

# --- keys --------------------------------------------------------------------
openssl genrsa -traditional -out "$work/rsa.pem" 2048 2>/dev/null
openssl ecparam -genkey -name prime256v1 -noout -out "$work/ec.pem" 2>/dev/null
kp=K2JCJMDEHXQW5F
domain=d111111abcdef8.cloudfront.net
expires=$(( $(date +%s) + 86400 ))

# --- one URL, one process ------------------------------------------------------
url="https://$domain/videos/intro.mp4"
t0=$(now_ms); for _ in 1 2 3; do aws cloudfront sign --url "$url" --key-pair-id $kp \
  --private-key "file://$work/rsa.pem" --date-less-than $expires >/dev/null; done; t1=$(now_ms)
aws_ms=$(( (t1 - t0) / 3 ))
t0=$(now_ms); for _ in $(seq 20); do "$cf" sign "$url" --key-pair-id $kp \
  --private-key "$work/rsa.pem" --expires $expires >/dev/null; done; t1=$(now_ms)
cf_ms_x20=$(( t1 - t0 ))
cf_ms=$(awk -v t=$cf_ms_x20 'BEGIN{printf "%.1f", t/20}')
row "sign one URL (new process)" "cfsign ${cf_ms} ms" "aws cloudfront sign ${aws_ms} ms" "$(ratio $aws_ms $cf_ms) faster"

# --- batch signing -------------------------------------------------------------
for i in $(seq "$batch_n"); do echo "https://$domain/photos/2026/img_$i.jpg"; done >"$work/urls"
t0=$(now_ms); python3 bench/botocore_sign.py $kp "$work/rsa.pem" $expires <"$work/urls" >"$work/boto.out"; t1=$(now_ms)
boto_rate=$(per_s "$batch_n" $((t1 - t0)))
t0=$(now_ms); "$cf" sign - --key-pair-id $kp --private-key "$work/rsa.pem" --expires $expires <"$work/urls" >"$work/cf.out"; t1=$(now_ms)
cf_rate=$(per_s "$batch_n" $((t1 - t0)))
cmp -s "$work/boto.out" "$work/cf.out" && same="byte-equal output" || same="OUTPUT DIFFERS"
row "batch, RSA-2048, $batch_n URLs (stdin)" "cfsign ${cf_rate}/s" "botocore in-process ${boto_rate}/s" "$(ratio $cf_rate $boto_rate), $same"
if [ -n "$boring" ]; then
  t0=$(now_ms); "$boring" sign - --key-pair-id $kp --private-key "$work/rsa.pem" --expires $expires <"$work/urls" >"$work/cfb.out"; t1=$(now_ms)
  b_rate=$(per_s "$batch_n" $((t1 - t0)))
  cmp -s "$work/boto.out" "$work/cfb.out" && same="byte-equal output" || same="OUTPUT DIFFERS"
  row "batch, RSA-2048, boringcrypto build" "cfsign ${b_rate}/s" "botocore in-process ${boto_rate}/s" "$(ratio $b_rate $boto_rate), $same"
fi
if [ -n "$ossl_build" ]; then
  t0=$(now_ms); "$ossl_build" sign - --key-pair-id $kp --private-key "$work/rsa.pem" --expires $expires <"$work/urls" >"$work/cfo.out"; t1=$(now_ms)
  o_rate=$(per_s "$batch_n" $((t1 - t0)))
  cmp -s "$work/boto.out" "$work/cfo.out" && same="byte-equal output" || same="OUTPUT DIFFERS"
  row "batch, RSA-2048, -tags openssl build" "cfsign ${o_rate}/s" "botocore in-process ${boto_rate}/s" "$(ratio $o_rate $boto_rate), $same"
fi
t0=$(now_ms); "$cf" sign - --key-pair-id $kp --private-key "$work/rsa.pem" --expires $expires \
  --resource "https://$domain/photos/2026/*" --shared-policy <"$work/urls" >"$work/cfw.out"; t1=$(now_ms)
w_rate=$(per_s "$batch_n" $((t1 - t0)))
row "batch, one wildcard policy for the prefix" "cfsign ${w_rate}/s" "botocore in-process ${boto_rate}/s" "$(ratio $w_rate $boto_rate)"
for i in $(seq "$ecdsa_n"); do echo "https://$domain/photos/2026/img_$i.jpg"; done >"$work/urls_ec"
t0=$(now_ms); "$cf" sign - --key-pair-id $kp --private-key "$work/ec.pem" --expires $expires <"$work/urls_ec" >/dev/null; t1=$(now_ms)
row "batch, ECDSA P-256, $ecdsa_n URLs" "cfsign $(per_s "$ecdsa_n" $((t1 - t0)))/s" "(goal 20,000/s)" ""
ossl=$(openssl speed -seconds 3 -mr rsa2048 2>/dev/null | awk -F: '/^\+F2:/{printf "%.0f", $4}' || true)
row "openssl speed rsa2048 (1 core)" "" "${ossl:-?} signs/s" ""

# --- sandbox -------------------------------------------------------------------
"$cf" sandbox --json --memory --data "$work/sandbox" >"$work/sandbox.json" 2>"$work/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 100); do [ -s "$work/sandbox.json" ] && break; sleep 0.1; done
info=$(head -1 "$work/sandbox.json")
s3=$(jq -r .s3_endpoint <<<"$info") bucket=$(jq -r .bucket <<<"$info")
export AWS_ACCESS_KEY_ID=$(jq -r .access_key_id <<<"$info")
export AWS_SECRET_ACCESS_KEY=$(jq -r .secret_access_key <<<"$info")
export AWS_ENDPOINT_URL_S3=$s3

# --- upload --------------------------------------------------------------------
head -c $((upload_mib * 1024 * 1024)) /dev/urandom >"$work/big.bin"
bytes=$((upload_mib * 1024 * 1024))
t0=$(now_ms); aws s3 cp --quiet --endpoint-url "$s3" "$work/big.bin" "s3://$bucket/bench/aws.bin"; t1=$(now_ms)
aws_up=$(mbps $bytes $((t1 - t0)))
t0=$(now_ms); curl -sS -f -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T "$work/big.bin" "$s3/$bucket/bench/curl.bin"; t1=$(now_ms)
curl_up=$(mbps $bytes $((t1 - t0)))
t0=$(now_ms); "$cf" upload "$work/big.bin" "s3://$bucket/bench/cfsign.bin" 2>/dev/null; t1=$(now_ms)
cf_up=$(mbps $bytes $((t1 - t0)))
row "upload ${upload_mib} MiB" "cfsign ${cf_up} MB/s" "aws s3 cp ${aws_up} MB/s; curl -T ${curl_up} MB/s" "$(ratio $cf_up $aws_up) aws, $(awk -v a=$cf_up -v b=$curl_up 'BEGIN{printf "%.0f%%", 100*a/b}') of curl"

# --- listing -------------------------------------------------------------------
mkdir -p "$work/many"
( cd "$work/many" && seq -f 'obj-%07g.txt' 0 $((list_n - 1)) | xargs touch )
t0=$(now_ms); "$cf" upload "$work/many" "s3://$bucket/" >/dev/null 2>&1; t1=$(now_ms)
seed_ms=$((t1 - t0))
t0=$(now_ms); aws s3 ls --recursive "s3://$bucket/many/" --endpoint-url "$s3" >"$work/aws.ls"; t1=$(now_ms)
aws_ls=$((t1 - t0))
aws_mem=$(peak_mib aws s3 ls --recursive "s3://$bucket/many/" --endpoint-url "$s3")
t0=$(now_ms); "$cf" ls --recursive "s3://$bucket/many/" >"$work/cf.ls"; t1=$(now_ms)
cf_ls=$((t1 - t0))
cf_mem=$(peak_mib "$cf" ls --recursive "s3://$bucket/many/")
cf_mem10=$(peak_mib "$cf" ls --recursive "s3://$bucket/many/obj-000")
row "ls --recursive, peak memory 10,000 vs $list_n objects" "cfsign ${cf_mem10} MiB vs ${cf_mem} MiB" "" "flat if equal"
row "ls --recursive, $list_n objects" "cfsign ${cf_ls} ms, peak ${cf_mem} MiB" "aws s3 ls ${aws_ls} ms, peak ${aws_mem} MiB" "$(ratio $aws_ls $cf_ls) faster"

# --- TUI: first row of a big folder on screen -----------------------------------
tui_first_row() {
  local sock="$work/tmux.sock" t0 t1
  t0=$(now_ms)
  tmux -S "$sock" new -d -x 120 -y 40 "HOME=$work/home XDG_CONFIG_HOME=$work/home/.config \
    CFSIGN_KEY_PAIR_ID=$(jq -r .key_pair_id <<<"$info") CFSIGN_PRIVATE_KEY=$(jq -r .private_key <<<"$info") \
    $cf --endpoint-url $s3 s3://$bucket/many/"
  until tmux -S "$sock" capture-pane -p 2>/dev/null | grep -q 'obj-0000000'; do
    [ $(( $(now_ms) - t0 )) -gt 10000 ] && break
    sleep 0.005
  done
  t1=$(now_ms)
  tmux -S "$sock" kill-server 2>/dev/null || true
  echo $((t1 - t0))
}
if command -v tmux >/dev/null; then
  mkdir -p "$work/home"
  best=999999
  for _ in 1 2 3; do ms=$(tui_first_row); [ "$ms" -lt "$best" ] && best=$ms; done
  row "TUI: first row of a $list_n-object folder" "${best} ms (best of 3)" "(goal 300 ms)" ""
fi

echo "| what | cfsign | reference | ratio |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(go version | awk '{print $3}'), $(aws --version 2>&1 | awk '{print $1}')."
