#!/usr/bin/env bash
# Start-up, side by side: one signed URL as a whole `cfsign sign` process
# against one `openssl dgst -sha1 -sign` process (the same key signing the
# same policy) and one `aws cloudfront sign` process; `cfsign --help`; the
# package initialisation before main (GODEBUG=inittrace=1); the app's first
# frame in a terminal that never answers a query; the binary's size. Runs
# are interleaved, so load on the machine hits every tool alike; medians
# are printed with the 10th-90th percentile spread. A timing is a benchmark,
# not a test: nothing here fails on a number.
#
# usage: bench/startup.sh [ROUNDS]   (default 40; `aws` runs in at most 10)
#        CFSIGN=path/to/cfsign bench/startup.sh   measures that binary instead
#                                                 of building one (before/after)
#
# Needs GNU /usr/bin/time, openssl, the AWS CLI v1 and python3 (for the
# pseudo-terminal of the first-frame row).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-40}
aws_rounds=$((rounds < 10 ? rounds : 10))
for tool in aws openssl python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "startup.sh: $tool is required" >&2; exit 1; }
done
((BASH_VERSINFO[0] >= 5)) || { echo "startup.sh: bash 5 is required (EPOCHREALTIME)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The default build (with cgo when a C compiler is there, as `go install`
# does) and a static one.
if [ -n "${CFSIGN:-}" ]; then
  cf=$(realpath "$CFSIGN") static=
else
  go build -o "$work/cfsign" .
  cf="$work/cfsign"
  static="$work/cfsign-static"
  CGO_ENABLED=0 go build -o "$static" . 2>/dev/null || static=
fi

# No AWS account, no profile, no metadata service: the app uses the sandbox.
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share"
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN CFSIGN_DEBUG COLORFGBG
mkdir -p "$HOME"

openssl genrsa -traditional -out "$work/key.pem" 2048 2>/dev/null
kp=K2JCJMDEHXQW5F
url=https://d111111abcdef8.cloudfront.net/videos/intro.mp4
expires=$(($(date +%s) + 3600))
# The canned policy both sign: openssl signs it as it is.
printf '{"Statement":[{"Resource":"%s","Condition":{"DateLessThan":{"AWS:EpochTime":%d}}}]}' "$url" "$expires" >"$work/policy"

cf_sign() { "$1" sign "$url" --key-pair-id $kp --private-key "$work/key.pem" --expires $expires; }
aws_sign() {
  aws cloudfront sign --url "$url" --key-pair-id $kp --private-key "file://$work/key.pem" --date-less-than $expires
}

# time_ms NAME CMD...: runs CMD once (output discarded) and appends its
# wall-clock time in milliseconds to $work/NAME.
time_ms() {
  local name=$1 t0 t1
  shift
  t0=$EPOCHREALTIME
  "$@" >/dev/null 2>&1
  t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >>"$work/$name"
}

# stats NAME: "median p10 p90" of $work/NAME.
stats() {
  sort -n "$work/$1" | awk '{ v[NR] = $1 } END {
    i = int((NR + 1) / 2); lo = int(NR * 0.1) + 1; hi = int(NR * 0.9 + 0.5); if (hi < 1) hi = 1
    printf "%.1f %.1f %.1f\n", v[i], v[lo], v[hi] }'
}
median() { stats "$1" | cut -d' ' -f1; }
spread() { stats "$1" | awk '{ printf "%s-%s", $2, $3 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# The same URL from both signers, byte for byte.
if [ "$(cf_sign "$cf")" = "$(aws_sign)" ]; then same="byte-equal URLs"; else same="URLS DIFFER"; fi

# Warm-up: the page cache holds every binary and the key.
for _ in 1 2 3; do cf_sign "$cf" >/dev/null; openssl dgst -sha1 -sign "$work/key.pem" "$work/policy" >/dev/null; done

for i in $(seq "$rounds"); do
  time_ms sign cf_sign "$cf"
  time_ms openssl openssl dgst -sha1 -sign "$work/key.pem" "$work/policy"
  time_ms help "$cf" --help
  [ -n "$static" ] && time_ms sign_static cf_sign "$static"
  [ "$i" -le "$aws_rounds" ] && time_ms aws aws_sign
done

# Package initialisation: the sum of what GODEBUG=inittrace=1 reports.
for _ in $(seq "$rounds"); do
  GODEBUG=inittrace=1 "$cf" --help 2>&1 >/dev/null |
    awk '$1 == "init" { ms += $5; n++ } END { printf "%.3f\n", ms; print n > "/dev/stderr" }' >>"$work/init" 2>"$work/init_n"
done

# The app's first frame in a pseudo-terminal that answers nothing: from the
# start to the frame's last line (its key help, which ends with "quit").
first_frame() {
  python3 - "$cf" <<'PY'
import fcntl, os, pty, select, signal, struct, sys, termios, time
t0 = time.monotonic()
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1]])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
out, frame = b"", None
while time.monotonic() - t0 < 10 and frame is None:
    if select.select([fd], [], [], 0.05)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
        if b"quit" in out:
            frame = time.monotonic() - t0
os.write(fd, b"q")
for _ in range(100):
    if os.waitpid(pid, os.WNOHANG)[0]:
        break
    time.sleep(0.02)
else:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
print("%.3f" % (frame * 1000) if frame is not None else "nan")
PY
}
first_frame >/dev/null # the sandbox's first start makes its key
for _ in $(seq $((rounds < 15 ? rounds : 15))); do first_frame >>"$work/frame"; done
grep -q nan "$work/frame" && echo "startup.sh: the app drew no frame in some runs" >&2

peak_kib=$(/usr/bin/time -f '%M' "$cf" sign "$url" --key-pair-id $kp --private-key "$work/key.pem" --expires $expires 2>&1 >/dev/null | tail -1)
size_mb=$(awk -v b="$(stat -c %s "$cf")" 'BEGIN { printf "%.1f", b / 1e6 }')

s=$(median sign) o=$(median openssl) a=$(median aws)
echo "| what | median (10th-90th percentile) | reference | ratio |"
echo "|---|---|---|---|"
echo "| sign one URL, whole process | cfsign $s ms ($(spread sign)) | openssl dgst -sha1 -sign $o ms ($(spread openssl)) | $(ratio "$s" "$o")x openssl |"
echo "| sign one URL, whole process | cfsign $s ms | aws cloudfront sign $a ms ($(spread aws)) | $(ratio "$a" "$s")x faster, $same |"
[ -n "$static" ] &&
  echo "| sign one URL, CGO_ENABLED=0 build | cfsign $(median sign_static) ms ($(spread sign_static)) | openssl $o ms | $(ratio "$(median sign_static)" "$o")x openssl |"
echo "| cfsign --help | $(median help) ms ($(spread help)) | | |"
echo "| package init before main | $(median init) ms ($(spread init)), $(tail -1 "$work/init_n") packages | | |"
echo "| app's first frame, silent terminal | $(median frame) ms ($(spread frame)) | | |"
echo "| binary, peak memory of sign | $size_mb MB, $((peak_kib / 1024)) MiB | | |"
echo
echo "$rounds interleaved rounds ($aws_rounds of aws), $(date -u +%Y-%m-%d), $(nproc) cores," \
  "load $(cut -d' ' -f1-3 /proc/loadavg), $(go version | awk '{print $3}'), $(aws --version 2>&1 | awk '{print $1}'), $(openssl version | awk '{print $1, $2}')."
