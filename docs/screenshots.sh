#!/usr/bin/env bash
# Regenerates docs/screenshots/: each view of the terminal app, captured from
# the real cfsign binary in tmux (100x30) on a fresh sandbox, as a new user
# would see it. Seeds a few objects with `cfsign upload --sandbox` first (the
# app and a second cfsign process cannot share the sandbox's data directory at
# once), then starts the app and walks through browser, details, filter, help,
# upload (with a progress bar when one is caught), sign, setup, an object's
# preview, a download of the marked objects and the bucket switcher.
#
# Writes NAME.txt (plain `tmux capture-pane -p`) and, when freeze is found
# (go install github.com/charmbracelet/freeze@v0.2.2; or FREEZE=/path), NAME.svg
# rendered from the coloured capture. Loopback traffic only; cleans up after
# itself. Timestamps and the edge's random port differ between runs.
#
#   bash docs/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export AWS_EC2_METADATA_DISABLED=true
COLS=100 ROWS=30
OUT=docs/screenshots
TIMEOUT=${SHOTS_TIMEOUT:-30} # seconds to wait for each screen

die() { printf 'screenshots: %s\n' "$*" >&2; exit 1; }
command -v tmux >/dev/null || die "tmux is missing"

freeze=${FREEZE:-}
if [ -z "$freeze" ]; then
	for f in "$(command -v freeze || true)" "$(go env GOBIN)/freeze" "$(go env GOPATH)/bin/freeze"; do
		if [ -n "$f" ] && [ -x "$f" ] && [ "$f" != /freeze ]; then freeze=$f; break; fi
	done
fi

work=$(mktemp -d)
sock="$work/tmux.sock" # a private tmux server, not the user's
T() { tmux -S "$sock" -f /dev/null "$@"; }
cleanup() {
	T kill-server 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

screen() { T capture-pane -p -t shots 2>/dev/null || true; }

# wait_for PATTERN WHAT: poll the screen until grep -E PATTERN matches.
wait_for() {
	local deadline=$((SECONDS + TIMEOUT))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if screen | grep -Eq -- "$1"; then return 0; fi
		[ -f "$work/exit" ] && die "cfsign exited (status $(cat "$work/exit")) while waiting for $2"
		sleep 0.05
	done
	printf 'screenshots: timed out after %ss waiting for %s; screen:\n' "$TIMEOUT" "$2" >&2
	screen >&2
	exit 1
}

# gone PATTERN WHAT: poll the screen until grep -E PATTERN no longer matches.
gone() {
	local deadline=$((SECONDS + TIMEOUT))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if ! screen | grep -Eq -- "$1"; then return 0; fi
		sleep 0.05
	done
	die "timed out after ${TIMEOUT}s waiting for $2 to go"
}

# key K WAIT WHAT: send one key (one at a time: keys typed in one burst reach
# the app as a single multi-rune key) and wait for the screen to show WAIT.
key() {
	T send-keys -t shots "$1"
	wait_for "$2" "$3"
}

# shot NAME: the screen as plain text, and coloured (all 100 columns) for freeze.
shot() {
	T capture-pane -p -t shots >"$work/out/$1.txt"
	T capture-pane -p -e -N -t shots >"$work/out/$1.ansi"
	echo "screenshots: $1"
}

mkdir -p "$work/home" "$work/config" "$work/data" "$work/state" "$work/out" \
	"$work/files/photos" "$work/files/video" "$work/files/releases"

echo "screenshots: build"
go build -o "$work/cfsign" .

# A new user: empty home and XDG dirs, no AWS config or credentials.
userenv=(env -i PATH="$PATH" HOME="$work/home" TERM=xterm-256color COLORTERM=truecolor
	XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_STATE_HOME="$work/state"
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true)
if [ -n "${TZ:-}" ]; then userenv+=(TZ="$TZ"); fi

echo "screenshots: seed the sandbox"
cd "$work/files"
echo "Quarterly numbers are in report-2026-q3.pdf." >README.txt
head -c 48213 /dev/urandom >report-2026-q3.pdf
head -c 812345 /dev/urandom >photos/harbour.jpg
head -c 1534000 /dev/urandom >photos/lighthouse.jpg
cat >photos/manifest.json <<'JSON'
{
  "album": "Harbour walk",
  "cdn": "https://media.example.com/photos/",
  "photos": [
    {"file": "harbour.jpg", "width": 4032, "height": 3024, "public": false},
    {"file": "lighthouse.jpg", "width": 3024, "height": 4032, "public": true}
  ],
  "cache_seconds": 86400
}
JSON
head -c 9123456 /dev/urandom >video/intro.mp4
# The file uploaded from the app: large enough to catch its progress bar.
truncate -s 160M releases/cfsign-demo.iso
"${userenv[@]}" "$work/cfsign" upload --sandbox README.txt report-2026-q3.pdf photos video s3://sandbox/ \
	>"$work/seed.log" 2>&1 || { cat "$work/seed.log" >&2; die "seeding the sandbox failed"; }
cd - >/dev/null

echo "screenshots: start cfsign in tmux at ${COLS}x${ROWS}"
T new-session -d -s shots -x "$COLS" -y "$ROWS" \
	"cd '$work/files' && $(printf '%q ' "${userenv[@]}") '$work/cfsign'; echo \$? >'$work/exit.tmp'; mv '$work/exit.tmp' '$work/exit'"
T set -g status off
T set -g remain-on-exit off

wait_for 'SANDBOX' "the header"
wait_for '4 items' "the first listing"
key j '^ *› *video/' "the cursor on video/"
key j '^ *› *README' "the cursor on README.txt"
key j '^ *› *report-2026-q3\.pdf' "the cursor on report-2026-q3.pdf"
shot browser

key Enter 'ETag' "the object details"
shot details
key Escape '4 items' "the listing"

key / '^/' "the filter input"
key r '^/r' "the typed filter"
key e '^/re' "the typed filter"
shot filter
key Escape '4 items · by' "the filter cleared"
gone '^/' "the filter input"

key '?' 'page down' "the full help"
shot help
T send-keys -t shots '?'
gone 'page down' "the full help"

key u 'Upload to s3://' "the upload view"
T send-keys -t shots -l "releases/cfsign-demo.iso"
wait_for 'Key +cfsign-demo\.iso' "the typed path"
shot upload
# Catch the progress bar: poll the screen as fast as tmux answers until the
# upload is done; keep the last frame that shows a transfer rate and an ETA
# (its text is the coloured frame with the escapes and trailing blanks cut).
T send-keys -t shots Enter
deadline=$((SECONDS + TIMEOUT * 4))
caught=""
while [ "$SECONDS" -lt "$deadline" ]; do
	T capture-pane -p -e -N -t shots >"$work/frame.ansi" 2>/dev/null || true
	sed -e 's/\x1b\[[0-9;:]*m//g' -e 's/ *$//' "$work/frame.ansi" >"$work/frame.txt"
	if grep -q 'ETA' "$work/frame.txt" && grep -q '%' "$work/frame.txt"; then
		caught=1
		cp "$work/frame.txt" "$work/out/upload-progress.txt"
		cp "$work/frame.ansi" "$work/out/upload-progress.ansi"
	fi
	grep -Eq '^ *›.*cfsign-demo\.iso' "$work/frame.txt" && break
	[ -f "$work/exit" ] && die "cfsign exited during the upload"
done
if [ -n "$caught" ]; then echo "screenshots: upload-progress"; else echo "screenshots: no progress bar caught (upload too fast)"; fi
# Back in the browser with the new object under the cursor.
wait_for '^ *›.*cfsign-demo\.iso' "the uploaded object selected"

key s 'Sign s3://' "the sign view"
key Enter 'Signature=' "the signed URL"
shot sign
key Escape '5 items' "the listing"

key K 'Setup' "the setup view"
shot setup
key Escape '5 items' "the listing"

# An object's preview, marks, a download and the bucket switcher.
key g '^ *› *photos/' "the cursor on photos/"
key Enter '^ *› *harbour\.jpg' "the photos folder"
key G '^ *› *manifest\.json' "the cursor on manifest.json"
key Enter 'CloudFront URL' "the details of manifest.json"
key Tab 'JSON' "the preview"
shot preview
key Escape '3 items' "the listing"
key a '3 marked' "every object marked"
key D '^To ' "the download prompt"
shot download
key Enter 'Downloaded 3 files' "the download done"
key x '3 items · by' "the marks cleared"
key B '^Buckets' "the bucket switcher"
shot buckets
key Escape '3 items' "the listing"

T send-keys -t shots q
deadline=$((SECONDS + TIMEOUT))
while [ ! -f "$work/exit" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
[ -f "$work/exit" ] || die "cfsign did not exit after q"
[ "$(cat "$work/exit")" = 0 ] || die "cfsign exited with status $(cat "$work/exit")"

if [ -n "$freeze" ]; then
	# freeze v0.2.2 ignores SGR 39/49 (default colours), 40-47 and reverse
	# video, so a badge's background would run to the end of its line: make
	# every style change a reset plus the whole style, colours explicit.
	mkdir -p "$work/sgr"
	cat >"$work/sgr/main.go" <<'GO'
// Command sgr rewrites a tmux capture's SGR escapes for freeze v0.2.2, which
// ignores "default colour" (39, 49), 40-47 and reverse video, and so paints a
// badge's background across the rest of the line. Every change of style
// becomes a full reset followed by the whole style, colours made explicit.
package main

import (
	"bufio"
	"io"
	"os"
	"strconv"
	"strings"
)

const (
	defFG = "2;196;196;196" // freeze's default text colour
	defBG = "2;23;23;23"    // freeze's default background (#171717)
)

type style struct {
	bold, italic, under, strike, reverse bool
	fg, bg                               string // "" default, else "5;N" or "2;R;G;B"
}

func (s *style) apply(params string) {
	ps := strings.Split(params, ";")
	num := func(i int) int { n, _ := strconv.Atoi(ps[i]); return n }
	for i := 0; i < len(ps); i++ {
		n := num(i)
		switch {
		case n == 0:
			*s = style{}
		case n == 1:
			s.bold = true
		case n == 22:
			s.bold = false
		case n == 3 || n == 23:
			s.italic = n == 3
		case n == 4 || n == 24:
			s.under = n == 4
		case n == 7 || n == 27:
			s.reverse = n == 7
		case n == 9 || n == 29:
			s.strike = n == 9
		case n >= 30 && n <= 37:
			s.fg = "5;" + strconv.Itoa(n-30)
		case n >= 90 && n <= 97:
			s.fg = "5;" + strconv.Itoa(n-90+8)
		case n == 39:
			s.fg = ""
		case n >= 40 && n <= 47:
			s.bg = "5;" + strconv.Itoa(n-40)
		case n >= 100 && n <= 107:
			s.bg = "5;" + strconv.Itoa(n-100+8)
		case n == 49:
			s.bg = ""
		case (n == 38 || n == 48) && i+1 < len(ps):
			var c string
			switch num(i + 1) {
			case 5:
				if i+2 < len(ps) {
					c, i = "5;"+ps[i+2], i+2
				}
			case 2:
				if i+4 < len(ps) {
					c, i = "2;"+strings.Join(ps[i+2:i+5], ";"), i+4
				}
			}
			if n == 38 {
				s.fg = c
			} else {
				s.bg = c
			}
		}
	}
}

func (s style) sgr() string {
	fg, bg := s.fg, s.bg
	if s.reverse {
		fg, bg = bg, fg
		if fg == "" {
			fg = defBG
		}
		if bg == "" {
			bg = defFG
		}
	}
	var p []string
	for _, a := range []struct {
		on   bool
		code string
	}{{s.bold, "1"}, {s.italic, "3"}, {s.under, "4"}, {s.strike, "9"}} {
		if a.on {
			p = append(p, a.code)
		}
	}
	if fg != "" {
		p = append(p, "38;"+fg)
	}
	if bg != "" {
		p = append(p, "48;"+bg)
	}
	out := "\x1b[0m"
	if len(p) > 0 {
		out += "\x1b[" + strings.Join(p, ";") + "m"
	}
	return out
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	var cur, shown style
	for _, line := range strings.Split(strings.TrimSuffix(string(in), "\n"), "\n") {
		if shown != (style{}) { // each line starts from the style it had
			w.WriteString(shown.sgr())
		}
		for len(line) > 0 {
			i := strings.Index(line, "\x1b[")
			if i < 0 {
				i = len(line)
			}
			if i > 0 {
				if cur != shown {
					w.WriteString(cur.sgr())
					shown = cur
				}
				w.WriteString(line[:i])
				line = line[i:]
				continue
			}
			j := strings.IndexAny(line[2:], "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~")
			if j < 0 {
				break
			}
			if line[2+j] == 'm' {
				cur.apply(line[2 : 2+j])
			}
			line = line[3+j:]
		}
		w.WriteString("\x1b[0m\n") // freeze ends a background only at a reset
	}
}
GO
	(cd "$work/sgr" && go build -o "$work/sgr-filter" main.go)
fi

mkdir -p "$OUT"
for f in "$work"/out/*.txt; do
	name=$(basename "$f" .txt)
	cp "$f" "$OUT/$name.txt"
	if [ -n "$freeze" ]; then
		"$work/sgr-filter" <"$work/out/$name.ansi" >"$work/out/$name.sgr"
		"$freeze" --language ansi --font.ligatures=false --output "$OUT/$name.svg" \
			<"$work/out/$name.sgr" >/dev/null || die "freeze could not render $name"
	fi
done
if [ -z "$freeze" ]; then
	echo "screenshots: freeze not found; wrote .txt only (go install github.com/charmbracelet/freeze@v0.2.2 for .svg)"
fi
echo "screenshots: wrote $(find "$OUT" -maxdepth 1 -type f -newer "$work/cfsign" | wc -l) files to $OUT"
