#!/usr/bin/env bash
# End-to-end test of the terminal app, as a new user would run it: the real
# cfsign binary in tmux (120x40) on the local sandbox. A burst of keys in one
# write (send-keys -l jjj) moves three rows; the mouse wheel and a click move
# the selection. Upload a file (u, type its path, Enter), wait for it in the
# listing, sign it (s, Enter), copy the URL (c: into tmux's buffer under
# tmux's default set-clipboard), fetch the URL from the sandbox edge and
# compare the bytes, then on the setup screen make, register and test a new
# key (K, ctrl+g, ctrl+t, esc, y); mark all and clear (a, x), the details and
# preview (enter, tab), copy the s3:// URI, key and CloudFront URL (c, C, U),
# download (D, enter; again: the overwrite question, k), the bucket
# switcher (B, a filter, enter). Then the safety of actions: an upload over
# an object asks (k keeps both), n refuses ../x, the delete question names
# the marked objects, a sign result goes when its inputs change, S by size
# loads the whole folder; a second app opened beside the first keeps working
# after the first, which started the sandbox, quits (q, exit status 0); the
# error panel closes with esc; and on the command line rm's folder rule,
# --dryrun and missing key, progress lines, two uploads at once. Then:
# NO_COLOR keeps the reverse video of the cursor and selection; and in a pty
# that never answers terminal queries, --help sends no query and returns at
# once, and the app's first frame comes well before termenv's 5 s wait.
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

# wait_in SESSION PATTERN WHAT: poll another tmux session's screen (soft
# wraps joined) until grep -E PATTERN matches.
wait_in() {
	local deadline=$((SECONDS + TIMEOUT))
	until T capture-pane -p -J -t "$1" 2>/dev/null | grep -Eq -- "$2"; do
		[ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${TIMEOUT}s waiting for $3"
		sleep 0.1
	done
}

echo "e2e: build"
go build -o "$work/cfsign" .

# A file of random bytes with a name that is easy to find on screen.
head -c 300000 /dev/urandom >"$work/e2e-upload.bin"

mkdir -p "$work/home" "$work/config" "$work/data" "$work/state"
# A new user: empty XDG dirs, no AWS config or credentials, no account.
userenv="env -i PATH='$PATH' HOME='$work/home' TERM=xterm-256color \
XDG_CONFIG_HOME='$work/config' XDG_DATA_HOME='$work/data' XDG_STATE_HOME='$work/state' \
AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true"
# TMUX passes through: inside tmux the app copies through tmux itself.
run="cd '$work' && $userenv TMUX=\"\$TMUX\" \
'$work/cfsign' --sandbox; echo \$? >'$work/exit.tmp'; mv '$work/exit.tmp' '$work/exit'"

# Six objects to move between, put there with the command line first.
mkdir -p "$work/rows"
for i in 1 2 3 4 5 6; do echo "row $i" >"$work/rows/row-$i.txt"; done
eval "$userenv '$work/cfsign' --sandbox upload $work/rows/row-*.txt s3://sandbox/" >/dev/null || die "seeding the sandbox failed"

echo "e2e: start cfsign --sandbox in tmux (tmux's default set-clipboard)"
T new-session -d -s e2e -x 120 -y 40 "$run"
T set -g remain-on-exit off

wait_for 'SANDBOX' "the header"
wait_for '[0-9]+ items?|\(empty\)' "the first listing"
wait_for '^ *›.*row-1\.txt' "the first row selected"

echo "e2e: a burst of keys in one write"
T send-keys -t e2e -l jjj
wait_for '^ *›.*row-4\.txt' "jjj (one write) moving the selection three rows"

echo "e2e: mouse"
# SGR mouse reports, as a terminal sends them: wheel up (64), then a left
# click (0) on the screen line of row-2.txt (1-based coordinates).
line=$(screen | grep -n 'row-2\.txt' | head -1 | cut -d: -f1)
[ -n "$line" ] || fail "row-2.txt is not on screen"
T send-keys -t e2e -l $'\e[<64;10;10M'
wait_for '^ *›.*row-1\.txt' "the wheel scrolling up"
T send-keys -t e2e -l $'\e[<0;10;'"$line"'M'$'\e[<0;10;'"$line"'m'
wait_for '^ *›.*row-2\.txt' "a click selecting row-2.txt"

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

echo "e2e: the URL in full"
# f hands the terminal back and prints the URL as one logical line (tmux
# joins its soft wraps with -J); any key, here q, comes back to the sign
# view: read raw, so it neither quits the app nor lingers as typed text.
T send-keys -t e2e f
wait_for 'press any key to go back' "the full URL screen"
screen | grep -qF "$url" || fail "the full URL screen does not hold the copied URL as one line"
T send-keys -t e2e q
wait_for 'Sign s3://' "the sign view again after a key on the full URL screen"
T has-session -t e2e 2>/dev/null || fail "q on the full URL screen quit the app"

# On the sandbox, setup makes a new key pair, registers it
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
wait_for 'stays trusted by key group' "esc asking before discarding, saying the new key stays trusted"
wait_for 'Discard the edits and leave setup' "the discard question"
T send-keys -t e2e y
wait_for 'e2e-upload\.bin' "the browser again"

# What the browser does with an object without leaving the app.
echo "e2e: mark all, clear marks"
T send-keys -t e2e g
wait_for '^ *›.*e2e-upload\.bin' "the top row"
T send-keys -t e2e a
wait_for '7 marked \(' "a marking the seven objects, with their size"
T send-keys -t e2e x
wait_for '7 items · by name' "x clearing the marks"
T send-keys -t e2e j
wait_for '^ *›.*row-1\.txt' "row-1.txt selected"

echo "e2e: details and preview"
T send-keys -t e2e Enter
wait_for 'CloudFront URL +http://127\.0\.0\.1:[0-9]+/row-1\.txt' "the details with the CloudFront URL"
T send-keys -t e2e Tab
wait_for '^│ row 1 ' "the preview of row-1.txt"
T send-keys -t e2e Escape
wait_for '^ *›.*row-1\.txt' "the listing again"

echo "e2e: copy names"
copied() { # copied WANT: wait for the tmux buffer to hold WANT
	local deadline=$((SECONDS + TIMEOUT))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ "$(T show-buffer 2>/dev/null || true)" = "$1" ] && return 0
		sleep 0.1
	done
	fail "the tmux buffer holds $(T show-buffer 2>/dev/null || true), not $1"
}
T send-keys -t e2e c
copied "s3://sandbox/row-1.txt"
T send-keys -t e2e C
copied "row-1.txt"
T send-keys -t e2e U
edge=${url%%/e2e-upload.bin*}
copied "$edge/row-1.txt"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$edge/row-1.txt") || true
[ "$code" = 403 ] || fail "the unsigned CloudFront URL got $code, want 403"

echo "e2e: download"
T send-keys -t e2e D
wait_for "^To +$work" "the download prompt at the working directory"
T send-keys -t e2e Enter
wait_for "Downloaded 1 file \\(6 B\\) to $work/row-1\\.txt" "the download finished"
cmp "$work/rows/row-1.txt" "$work/row-1.txt" || fail "the downloaded file differs from the object"
T send-keys -t e2e D
T send-keys -t e2e Enter
wait_for 'row-1\.txt exists\.' "the overwrite question"
T send-keys -t e2e k
wait_for '1 file kept' "k keeping the file"

echo "e2e: bucket switcher"
T send-keys -t e2e B
wait_for '^Buckets \(1\)' "the bucket list"
T send-keys -t e2e -l sand
wait_for '^Filter sand' "the filter typed"
T send-keys -t e2e Enter
wait_for 's3://sandbox/ signs for http://127\.0\.0\.1' "the bucket opened with its settings"

echo "e2e: an upload over an existing object asks first (keep both)"
T send-keys -t e2e u
wait_for 'Upload to s3://' "the upload view"
T send-keys -t e2e -l "$work/rows/row-1.txt"
T send-keys -t e2e Enter
wait_for 'row-1\.txt is there .*r replace · k keep both · s skip' "the replace question"
T send-keys -t e2e k
wait_for 'row-1 \(1\)\.txt' "the new object under a free name"
eval "$userenv '$work/cfsign' --sandbox ls s3://sandbox/" | grep -qx 'row-1.txt' || fail "keep both lost row-1.txt"

echo "e2e: a new folder named .. is refused"
T send-keys -t e2e n
T send-keys -t e2e -l "../x"
T send-keys -t e2e Enter
wait_for 'has a "\.\." part' "the refusal of ../x"
T send-keys -t e2e Escape

echo "e2e: the delete question names what goes"
T send-keys -t e2e g
wait_for '^ *›.*e2e-upload\.bin' "the cursor on the first row"
T send-keys -t e2e j Space j Space    # marks row-1 (1).txt and row-2.txt
T send-keys -t e2e -l "/row-6"
T send-keys -t e2e Enter
T send-keys -t e2e d
wait_for 'Delete 2 objects in s3://sandbox/: .*\? y/n' "the delete question naming the marked objects"
screen | grep -q 'row-6' && screen | grep 'Delete 2' | grep -q 'row-6' && fail "the question names the highlighted row instead of the marked ones"
T send-keys -t e2e n
T send-keys -t e2e Escape             # the filter goes; then the marks
T send-keys -t e2e g j Space j Space
wait_for '^ *›.*row-3\.txt' "the marks cleared"
screen | grep -q 'marked' && fail "marks left after unmarking"

echo "e2e: a sign result shows only with its inputs"
T send-keys -t e2e g
T send-keys -t e2e -l "/e2e-upload"
T send-keys -t e2e Enter
T send-keys -t e2e s
wait_for 'Sign s3://' "the sign view"
T send-keys -t e2e Tab Tab          # Output
T send-keys -t e2e Right
T send-keys -t e2e Enter
wait_for 'Signed cookies' "signed cookies"
T send-keys -t e2e BTab BTab BTab BTab BTab BTab   # from the result back to Output
T send-keys -t e2e Left           # Output back to signed URL, no enter
sleep 0.3
screen | grep -q 'Cookie:' && fail "the cookies stay on screen under other inputs"
screen | grep -q 'Signed URL, valid until' && fail "a URL heading over no URL"
T send-keys -t e2e Escape
wait_for '^ *›.*e2e-upload' "the browser again"
T send-keys -t e2e Escape

echo "e2e: sort by size loads the whole folder"
# A folder of 1,100 objects (more than one listing page), the biggest last
# by name: sorting by size must load the rest to find it. The command line
# uploads it through the app's sandbox.
mkdir -p "$work/many"
for i in $(seq -w 1 1099); do echo "$i" >"$work/many/f$i.txt"; done
head -c 5000 /dev/zero >"$work/many/zz-biggest.bin"
eval "$userenv '$work/cfsign' --sandbox upload $work/many s3://sandbox/" >/dev/null 2>&1 || fail "uploading many/ failed"
T send-keys -t e2e r
wait_for '^ *.*many/' "many/ in the listing"
T send-keys -t e2e g
wait_for '^ *›.*many/' "many/ selected"
T send-keys -t e2e Enter
wait_for 'f0001\.txt' "many/ listed"
T send-keys -t e2e S
wait_for 'by size' "the order by size"
wait_for '1,100 items · by size' "the whole folder loaded for the sort"
screen | sed -n 3p | grep -q 'zz-biggest\.bin' || fail "the biggest file, past the first page, is not the first row"
T send-keys -t e2e S S BSpace      # back to by name, up to the bucket

echo "e2e: a second app on the same sandbox outlives the first"
T new-session -d -s app2 -x 100 -y 30 "cd '$work' && $userenv '$work/cfsign' --sandbox"
wait_in app2 'row-1\.txt' "the second app's listing"

echo "e2e: quit"
T send-keys -t e2e q
deadline=$((SECONDS + TIMEOUT))
while [ ! -f "$work/exit" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
[ -f "$work/exit" ] || fail "cfsign did not exit after q"
status=$(cat "$work/exit")
[ "$status" = 0 ] || fail "cfsign exited with status $status after q"

# The first app started the sandbox; the second still works on it.
T send-keys -t app2 r
sleep 1
frame=$(T capture-pane -p -t app2)
printf '%s' "$frame" | grep -q 'row-1\.txt' || fail "the second app lost the sandbox when the first quit: $frame"
printf '%s' "$frame" | grep -qi 'refused\|cannot connect' && fail "the second app cannot reach the sandbox: $frame"
T send-keys -t app2 q
T kill-session -t app2 2>/dev/null || true

echo "e2e: the error panel closes with esc"
T new-session -d -s errp -x 100 -y 30 "cd '$work' && $userenv '$work/cfsign' --sandbox s3://no-such-bucket/"
wait_in errp 'NoSuchBucket|does not exist' "the error for a missing bucket"
T send-keys -t errp E
sleep 0.3
T capture-pane -p -t errp | grep -q 'esc closes' || fail "E did not open the error panel"
T send-keys -t errp Escape
sleep 0.3
T capture-pane -p -t errp | grep -q 'esc closes' && fail "esc did not close the error panel"
T send-keys -t errp q
T kill-session -t errp 2>/dev/null || true

echo "e2e: the command line: rm, progress, two uploads at once"
cli() { eval "$userenv '$work/cfsign' --sandbox $*"; }
echo a >"$work/a.txt"
cli upload "$work/a.txt" s3://sandbox/pre/a.txt >/dev/null
cli upload "$work/a.txt" s3://sandbox/prefix.txt >/dev/null
out=$(cli rm --recursive s3://sandbox/pre --dryrun) || fail "rm --dryrun failed"
printf '%s' "$out" | grep -q 'pre/a.txt' || fail "rm --dryrun does not list pre/a.txt: $out"
printf '%s' "$out" | grep -q 'prefix.txt' && fail "rm s3://sandbox/pre would delete prefix.txt: $out"
cli rm --recursive s3://sandbox/pre --yes >/dev/null || fail "rm --recursive failed"
cli ls s3://sandbox/ | grep -qx 'prefix.txt' || fail "rm of the folder pre/ took prefix.txt"
if cli rm s3://sandbox/nope.txt 2>"$work/rm.err"; then fail "rm of a missing key exited 0"; fi
grep -q 'nope.txt' "$work/rm.err" || fail "rm of a missing key did not say so: $(cat "$work/rm.err")"
# In a terminal the bar is finished before the result line, and one total
# line ends a piped upload.
head -c 12000000 /dev/urandom >"$work/big.bin"
T new-session -d -s prog -x 120 -y 20 "cd '$work' && $userenv '$work/cfsign' --sandbox upload '$work/big.bin' s3://sandbox/t9/big.bin; echo UPLOAD-DONE; sleep 30"
wait_in prog 'UPLOAD-DONE' "the upload in a terminal to end"
T capture-pane -p -J -t prog | grep -qx 's3://sandbox/t9/big.bin' || fail "the result line is not a line of its own: $(T capture-pane -p -J -t prog)"
T kill-session -t prog
T new-session -d -s prog -x 120 -y 20 "cd '$work' && $userenv '$work/cfsign' --sandbox download s3://sandbox/t9/big.bin '$work/big.out'; echo DOWNLOAD-DONE; sleep 30"
wait_in prog 'DOWNLOAD-DONE' "the download in a terminal to end"
T capture-pane -p -J -t prog | grep -q '^downloaded s3://sandbox/t9/big.bin' || fail "no total line after a download: $(T capture-pane -p -J -t prog)"
T capture-pane -p -J -t prog | grep -q '%' && fail "a progress frame stays on screen after the download: $(T capture-pane -p -J -t prog)"
cmp "$work/big.bin" "$work/big.out" || fail "the downloaded file differs"
T kill-session -t prog
cli upload "$work/rows" s3://sandbox/t9/ 2>"$work/up.err" | cat >/dev/null
grep -q '^uploaded 6 files' "$work/up.err" || fail "a piped upload printed no total line: $(cat "$work/up.err")"
# Two uploads at once, each of which may start the sandbox.
for run in 1 2 3; do
	cli upload "$work/big.bin" s3://sandbox/two/$run-a.bin >/dev/null 2>"$work/two-a.err" & a=$!
	cli upload "$work/a.txt" s3://sandbox/two/$run-b.txt >/dev/null 2>"$work/two-b.err" & b=$!
	wait $a || fail "run $run: the first of two concurrent uploads failed: $(cat "$work/two-a.err")"
	wait $b || fail "run $run: the second of two concurrent uploads failed: $(cat "$work/two-b.err")"
done

echo "e2e: NO_COLOR keeps reverse video"
T new-session -d -s nocolor -x 100 -y 30 "cd '$work' && $userenv NO_COLOR=1 '$work/cfsign' --sandbox"
wait_in nocolor 'row-1\.txt' "the NO_COLOR app's listing"
T send-keys -t nocolor /
sleep 0.3
frame=$(T capture-pane -p -e -t nocolor)
printf '%s' "$frame" | grep -q $'\e\[7m' || fail "NO_COLOR: no reverse video (cursor and selection invisible)"
if printf '%s' "$frame" | grep -Eq $'\e\\[(3[0-7]|9[0-7]|38;)'; then fail "NO_COLOR: a colour was drawn"; fi
T kill-session -t nocolor

echo "e2e: a terminal that never answers queries"
python3 - "$work/cfsign" "$work" <<'PY' || fail "silent terminal check failed"
import os, pty, sys, time, select, struct, fcntl, termios
cf, work = sys.argv[1], sys.argv[2]
env = dict(PATH=os.environ["PATH"], HOME=work + "/home", TERM="xterm-256color",
           XDG_CONFIG_HOME=work + "/config", XDG_DATA_HOME=work + "/silent", XDG_STATE_HOME=work + "/state",
           AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true")
def run(args, until=None, limit=8.0):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(cf, [cf] + args, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    t0, out, seen = time.time(), b"", None
    while time.time() - t0 < limit:
        r, _, _ = select.select([fd], [], [], 0.02)
        if r:
            try:
                d = os.read(fd, 65536)
            except OSError:
                break
            if not d:
                break
            out += d
            if until and seen is None and until in out:
                seen = time.time() - t0
                os.write(fd, b"q")
    os.waitpid(pid, 0)
    return time.time() - t0, seen, out
took, _, out = run(["--help"])
print("e2e:   cfsign --help in a silent pty: %.2fs, OSC 11 query sent: %s" % (took, b"\x1b]11;?" in out))
if b"\x1b]11;?" in out or took > 1.0:
    sys.exit("cfsign --help queried the terminal or stalled")
_, first, out = run(["--sandbox"], until=b"SANDBOX")
print("e2e:   the app's first frame in a silent pty: %s" % ("%.2fs" % first if first else "never"))
if first is None or first > 1.0:
    sys.exit("the app's first frame was late")
PY

echo "e2e: ok"
