#!/usr/bin/env bash
# End-to-end test of the terminal app, as a new user would run it: the real
# cfsign binary in tmux (120x40) on the local sandbox. Upload a file (u, type
# its path, Enter), wait for it in the listing, sign it (s, Enter), copy the URL
# (c: OSC 52 lands in tmux's buffer with set-clipboard on), fetch the URL from
# the sandbox edge and compare the bytes, then on the setup screen make,
# register and test a new key (K, ctrl+g, ctrl+t, esc, y), quit (q) and check
# exit status 0.
# Run by .ci/run; loopback traffic only. Screen captures are kept on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

export AWS_EC2_METADATA_DISABLED=true
TIMEOUT=${E2E_TIMEOUT:-30}   # seconds to wait for each step

die() { printf 'e2e: %s\n' "$*" >&2; exit 1; }
command -v tmux >/dev/null || die "tmux is missing"
command -v curl >/dev/null || die "curl is missing"

work=$(mktemp -d)
sock="$work/tmux.sock"                 # a private tmux server, not the user's
T() { tmux -S "$sock" -f /dev/null "$@"; }
cleanup() {
	T kill-server 2>/dev/null || true
	if [ "${keep:-}" = 1 ]; then
		echo "e2e: left $work for inspection" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
fail() {
	keep=1
	printf 'e2e: %s\n--- screen:\n' "$*" >&2
	T capture-pane -p -t e2e 2>/dev/null >&2 || cat "$work/last-screen" >&2 2>/dev/null || true
	exit 1
}

screen() { T capture-pane -p -J -t e2e 2>/dev/null | tee "$work/last-screen"; }

# wait_for PATTERN WHAT: poll the screen until grep -E PATTERN matches.
wait_for() {
	local deadline=$((SECONDS + TIMEOUT))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if screen | grep -Eq -- "$1"; then return 0; fi
		[ -f "$work/exit" ] && fail "cfsign exited (status $(cat "$work/exit")) while waiting for $2"
		sleep 0.1
	done
	fail "timed out after ${TIMEOUT}s waiting for $2"
}

echo "e2e: build"
go build -o "$work/cfsign" .

# A file of random bytes with a name that is easy to find on screen.
head -c 300000 /dev/urandom >"$work/e2e-upload.bin"

mkdir -p "$work/home" "$work/config" "$work/data" "$work/state"
# A new user: empty XDG dirs, no AWS config or credentials, no account.
run="cd '$work' && env -i PATH='$PATH' HOME='$work/home' TERM=xterm-256color \
XDG_CONFIG_HOME='$work/config' XDG_DATA_HOME='$work/data' XDG_STATE_HOME='$work/state' \
AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
'$work/cfsign' --sandbox; echo \$? >'$work/exit.tmp'; mv '$work/exit.tmp' '$work/exit'"

echo "e2e: start cfsign --sandbox in tmux"
T new-session -d -s e2e -x 120 -y 40 "$run"
T set -g set-clipboard on
T set -g remain-on-exit off

wait_for 'SANDBOX' "the header"
wait_for '[0-9]+ items?|\(empty\)' "the first listing"

echo "e2e: upload"
T send-keys -t e2e u
wait_for 'Upload to s3://' "the upload view"
T send-keys -t e2e -l "$work/e2e-upload.bin"
T send-keys -t e2e Enter
# Back in the browser with the new object under the cursor.
wait_for '^ *›.*e2e-upload\.bin' "the uploaded object selected in the listing"

echo "e2e: sign"
T send-keys -t e2e s
wait_for 'Sign s3://' "the sign view"
T send-keys -t e2e Enter
wait_for 'Signature=' "the signed URL"

echo "e2e: copy"
T send-keys -t e2e c
url=""
deadline=$((SECONDS + TIMEOUT))
while [ "$SECONDS" -lt "$deadline" ]; do
	url=$(T show-buffer 2>/dev/null || true)
	case "$url" in http*) break ;; esac
	sleep 0.1
done
case "$url" in
http://127.0.0.1:*|http://localhost:*) ;;
*) fail "no loopback URL in the tmux buffer after c (got: ${url:-nothing})" ;;
esac
case "$url" in *Signature=*Key-Pair-Id=*|*Key-Pair-Id=*Signature=*) ;; *) fail "copied text is not a signed URL: $url" ;; esac

echo "e2e: fetch from the sandbox edge"
code=$(curl -sS -o "$work/fetched.bin" -w '%{http_code}' "$url") || fail "curl failed for $url"
[ "$code" = 200 ] || fail "edge answered $code for the signed URL"
cmp "$work/e2e-upload.bin" "$work/fetched.bin" || fail "fetched bytes differ from the uploaded file"
# The same URL without its signature is refused.
code=$(curl -sS -o /dev/null -w '%{http_code}' "${url%%\?*}") || true
[ "$code" = 403 ] || [ "$code" = 401 ] || fail "edge answered $code for the unsigned URL, want 403"

# Issue 14 item 13: on the sandbox, setup makes a new key pair, registers it
# with the sandbox's CloudFront API and adds it to the trusted key group, so
# the Key pair ID follows and a test link with the new key gets 200.
echo "e2e: setup on the sandbox"
T send-keys -t e2e K
wait_for 'ctrl\+s saves the config file' "the setup screen"
T send-keys -t e2e C-g
wait_for 'Added key group' "the new key registered and added to the key group"
T send-keys -t e2e BTab                # from the public key panel up to Test object
T send-keys -t e2e -l "e2e-upload.bin"
T send-keys -t e2e C-t
wait_for 'Test link: 200' "a test link signed with the new key"
T send-keys -t e2e Escape
wait_for 'Discard them and leave setup' "esc asking before discarding the unsaved key"
T send-keys -t e2e y
wait_for 'e2e-upload\.bin' "the browser again"

echo "e2e: quit"
T send-keys -t e2e q
deadline=$((SECONDS + TIMEOUT))
while [ ! -f "$work/exit" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
[ -f "$work/exit" ] || fail "cfsign did not exit after q"
status=$(cat "$work/exit")
[ "$status" = 0 ] || fail "cfsign exited with status $status after q"

echo "e2e: ok"
