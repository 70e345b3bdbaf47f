package ui

// What the browser does with an object without leaving the app: details,
// preview, versions, download, copying its names, marks and the bucket
// switcher; on the in-process sandbox, and on moto for versions.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/testenv"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// rawS3 is a plain SDK client of an S3 server, for putting objects with
// the headers the app shows.
func rawS3(endpoint, id, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: sdkaws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
	})
}

// sandboxWorld is the app on the shared sandbox: the real S3 client behind
// every interface, the settings a session resolves there, a folder of its
// own and a working directory for downloads.
type sandboxWorld struct {
	sb     *sandbox.Sandbox
	c      *aws.Client
	raw    *s3.Client
	deps   Deps
	prefix string
	wd     string
}

func newSandboxWorld(t *testing.T, endpoint string) *sandboxWorld {
	t.Helper()
	ctx := context.Background()
	sb := testenv.Sandbox(t)
	if endpoint == "" {
		endpoint = sb.S3Endpoint
	} else {
		sb.AllowHost(strings.TrimPrefix(endpoint, "http://")) // a proxy in front of it
	}
	sess := testSession(t, config.Settings{}, sb, nil)
	set, err := sess.BucketSettings(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := aws.NewClient(ctx, aws.ClientOptions{EndpointURL: endpoint, Region: sb.Region,
		AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	w := &sandboxWorld{sb: sb, c: c, raw: rawS3(sb.S3Endpoint, sb.AccessKeyID, sb.SecretAccessKey),
		prefix: testenv.Unique("obj") + "/", wd: t.TempDir()}
	w.deps = Deps{Lister: c, Uploader: c, Presigner: c, Objects: c, Downloader: c, Signers: SessionSigners{sess},
		Settings: set, Sandbox: true, Workdir: w.wd, Prefix: w.prefix}
	return w
}

func (w *sandboxWorld) put(t *testing.T, name string, body []byte, edit func(*s3.PutObjectInput)) {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: sdkaws.String(w.sb.Bucket), Key: sdkaws.String(w.prefix + name), Body: bytes.NewReader(body)}
	if edit != nil {
		edit(in)
	}
	if _, err := w.raw.PutObject(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

// frame is the app's screen as text.
func (a *btApp) frame() string { return ansi.Strip(a.m.View()) }

// goTo puts the cursor on the row named name.
func (a *btApp) goTo(name string) {
	a.t.Helper()
	b := a.m.browser
	if !b.list.selectKey(b.prefix+name, b.listHeight()) {
		a.t.Fatalf("no row %q in %v", name, a.frame())
	}
}

// The details show every header CloudFront passes on, every metadata
// entry and the CloudFront URL the object signs to; the preview is a
// ranged read (never the whole object), highlighted by file type, escaped,
// or a hex dump for binary data.
func TestDetailsAndPreviewOnTheSandbox(t *testing.T) {
	var mu sync.Mutex
	var ranges []string
	sb := testenv.Sandbox(t)
	proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "big.txt") {
			mu.Lock()
			ranges = append(ranges, r.Header.Get("Range"))
			mu.Unlock()
		}
		return false
	})
	w := newSandboxWorld(t, proxy.URL)
	w.put(t, "site.json", []byte(`{"domain": "cdn.example.com", "ttl": 60}`), func(in *s3.PutObjectInput) {
		in.ContentType = sdkaws.String("application/json")
		in.CacheControl = sdkaws.String("max-age=300")
		in.ContentDisposition = sdkaws.String(`inline; filename="site.json"`)
		in.Metadata = map[string]string{"owner": "ana", "build": "42"}
		in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256
	})
	w.put(t, "big.txt", bytes.Repeat([]byte("line of text\n"), 100000), nil) // 1.2 MiB
	w.put(t, "hostile.txt", []byte("title\x1b]0;pwned\x07 and \x1b[2J here\nsecond line\n"), nil)
	w.put(t, "blob.bin", []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 3, 0xff}, nil)

	a := newBTApp(t, w.deps, 100, 30)
	a.goTo("site.json")
	a.press("enter")
	f := a.frame()
	for _, want := range []string{"Cache-Control       max-age=300", `Content-Disposition inline; filename="site.json"`,
		"Content-Encoding    (none)", "Checksum            SHA256 ", "build: 42", "owner: ana",
		"CloudFront URL      " + w.sb.EdgeURL + "/" + w.prefix + "site.json", "domain            " + w.sb.EdgeURL} {
		if !strings.Contains(f, want) {
			t.Errorf("details lack %q:\n%s", want, f)
		}
	}
	a.press("tab")
	if f := a.frame(); !strings.Contains(f, "JSON") || !strings.Contains(f, `{"domain": "cdn.example.com", "ttl": 60}`) {
		t.Errorf("preview of JSON:\n%s", f)
	}
	btCheckFrame(t, a.m.View(), 100, 30)

	a.press("esc")
	a.goTo("big.txt")
	a.press("enter", "tab")
	if f := a.frame(); !strings.Contains(f, "first 256 KiB of 1.2 MiB") || !strings.Contains(f, "line of text") {
		t.Errorf("preview of a large object:\n%s", f)
	}
	mu.Lock()
	if !slices.Equal(ranges, []string{fmt.Sprintf("bytes=0-%d", previewBytes-1)}) {
		t.Errorf("the preview asked for %q, not the first %d bytes", ranges, previewBytes)
	}
	mu.Unlock()

	a.press("esc")
	a.goTo("hostile.txt")
	a.press("enter", "tab")
	f = a.frame()
	if !strings.Contains(f, `title\x1b]0;pwned\x07 and \x1b[2J here`) || !strings.Contains(f, "second line") {
		t.Errorf("control characters in a text preview are not shown escaped:\n%s", f)
	}
	btCheckFrame(t, a.m.View(), 100, 30)

	a.press("esc")
	a.goTo("blob.bin")
	a.press("enter", "tab")
	if f := a.frame(); !strings.Contains(f, "binary · hex dump") || !strings.Contains(f, "00000000  89 50 4e 47 00 01 02 03 ff") || !strings.Contains(f, "|.PNG.....|") {
		t.Errorf("preview of binary data:\n%s", f)
	}
	a.press("tab")
	if f := a.frame(); !strings.Contains(f, "keeps no versions") {
		t.Errorf("versions on the sandbox:\n%s", f)
	}
}

// A wrong origin path shows in the details before a link is sent: the key
// is not under it, and the URL says so instead of a link that 403s.
func TestDetailsShowAWrongOriginPath(t *testing.T) {
	deps := btDeps(newBTLister(1000, "assets/logo.png", "other/x.png"))
	deps.Settings = app.Literal(config.Settings{Bucket: "media", Domain: "cdn.example.com", OriginPath: "/assets"})
	a := newBTApp(t, deps, 100, 30)
	a.press("enter", "enter") // assets/, then logo.png
	if f := a.frame(); !strings.Contains(f, "CloudFront URL      https://cdn.example.com/logo.png") || !strings.Contains(f, "origin path       /assets") {
		t.Errorf("details of a key under the origin path:\n%s", f)
	}
	a.press("esc", "h")
	a.goTo("other/")
	a.press("enter", "enter")
	if f := a.frame(); !strings.Contains(f, "✗ not under the origin path /assets: no CloudFront URL reaches it") {
		t.Errorf("details of a key outside the origin path:\n%s", f)
	}
}

// c, C and U copy the s3:// URI, the key and the CloudFront URL
// (unsigned, from the settings that sign) through the clipboard path
// signed URLs take, from the listing and from the details.
func TestCopyNames(t *testing.T) {
	deps := btDeps(newBTLister(1000, "photos/a b+c.jpg"))
	deps.Settings = app.Literal(config.Settings{Bucket: "media", Domain: "cdn.example.com"})
	a := newBTApp(t, deps, 100, 30)
	clip := &fakeClip{}
	a.m.browser.clip = clip.writer()
	a.press("enter") // photos/
	a.press("c", "C", "U")
	want := []string{"s3://media/photos/a b+c.jpg", "photos/a b+c.jpg", "https://cdn.example.com/photos/a%20b%2Bc.jpg"}
	if !slices.Equal(clip.native, want) {
		t.Fatalf("copied %q, want %q", clip.native, want)
	}
	if !strings.Contains(a.frame(), "Copied the CloudFront URL (unsigned) to the system clipboard") {
		t.Errorf("status line:\n%s", a.frame())
	}
	a.press("enter", "C")
	if got := clip.native[len(clip.native)-1]; got != "photos/a b+c.jpg" || len(clip.native) != 4 {
		t.Errorf("C in the details copied %q", clip.native)
	}
}

// a marks every object shown (the filter's matches when one is in force),
// i inverts, x clears; folders are never marked; the info line counts the
// marked objects and their size.
func TestMarkAllInvertClear(t *testing.T) {
	a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 100, 30)
	b := a.m.browser
	a.press("a")
	if got := b.list.targets(); !slices.Equal(got, []string{"a.txt", "clip.mp4", "zeta.bin"}) {
		t.Fatalf("a marked %v", got)
	}
	// 1000 + 16000 + 36000 bytes.
	if !strings.Contains(a.frame(), "3 marked (52 KiB)") {
		t.Errorf("info line:\n%s", a.frame())
	}
	a.press("x")
	if b.list.marked != 0 || b.list.markedSize != 0 {
		t.Fatalf("x left %d marked (%d bytes)", b.list.marked, b.list.markedSize)
	}
	a.goTo("clip.mp4")
	a.press("space", "i")
	if got := b.list.targets(); !slices.Equal(got, []string{"a.txt", "zeta.bin"}) {
		t.Fatalf("i marked %v", got)
	}
	a.press("x", "/", "zeta", "enter", "a", "esc")
	if got := b.list.targets(); !slices.Equal(got, []string{"zeta.bin"}) || !strings.Contains(a.frame(), "1 marked (35 KiB)") {
		t.Fatalf("a under a filter marked %v:\n%s", got, a.frame())
	}
}

// D downloads the object through the application layer: a prompt at the
// working directory, the file written byte-equal, then the overwrite
// question of the CLI's rules (k keeps the file, r replaces it keeping
// its mode); the marked objects go together.
func TestDownloadFromTheApp(t *testing.T) {
	w := newSandboxWorld(t, "")
	w.put(t, "report.pdf", []byte("%PDF new"), nil)
	w.put(t, "notes.txt", []byte("notes"), nil)
	a := newBTApp(t, w.deps, 100, 30)
	a.goTo("report.pdf")
	a.press("D")
	if f := a.frame(); !strings.Contains(f, "Download s3://sandbox/"+w.prefix+"report.pdf") || !strings.Contains(f, "To    "+w.wd) {
		t.Fatalf("D:\n%s", f)
	}
	a.press("enter")
	dest := filepath.Join(w.wd, "report.pdf")
	if got, _ := os.ReadFile(dest); string(got) != "%PDF new" {
		t.Fatalf("downloaded %q", got)
	}
	if f := a.frame(); !strings.Contains(f, "Downloaded 1 file (8 B) to "+dest) || !strings.Contains(f, "report.pdf") {
		t.Errorf("after the download:\n%s", f)
	}
	os.WriteFile(dest, []byte("mine"), 0o600)
	os.Chmod(dest, 0o600)
	a.press("D", "enter")
	if f := a.frame(); !strings.Contains(f, dest+" exists.") || !strings.Contains(f, "r replaces it, keeping its mode") {
		t.Fatalf("no overwrite question:\n%s", f)
	}
	a.press("k")
	if got, _ := os.ReadFile(dest); string(got) != "mine" || !strings.Contains(a.frame(), "1 file kept") {
		t.Fatalf("k: %q\n%s", got, a.frame())
	}
	a.press("D", "enter", "r")
	got, _ := os.ReadFile(dest)
	if st, _ := os.Stat(dest); string(got) != "%PDF new" || st.Mode().Perm() != 0o600 {
		t.Fatalf("r: %q, mode %v", got, st.Mode())
	}
	// Several: into a directory typed relative to the working directory.
	os.Mkdir(filepath.Join(w.wd, "out"), 0o755)
	a.press("a", "D")
	a.send(tea.KeyMsg{Type: tea.KeyCtrlU})
	a.press("out", "enter")
	for name, body := range map[string]string{"report.pdf": "%PDF new", "notes.txt": "notes"} {
		if got, _ := os.ReadFile(filepath.Join(w.wd, "out", name)); string(got) != body {
			t.Errorf("out/%s holds %q", name, got)
		}
	}
}

// esc while a download runs stops it: the screen says nothing was written,
// and nothing is: no file, no temporary file.
func TestDownloadStopLeavesNothing(t *testing.T) {
	sb := testenv.Sandbox(t)
	started := make(chan struct{}, 1)
	proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "slow.bin") {
			return false
		}
		w.Header().Set("Content-Length", "1000000")
		w.WriteHeader(http.StatusOK)
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		started <- struct{}{}
		<-r.Context().Done()
		return true
	})
	w := newSandboxWorld(t, proxy.URL)
	w.put(t, "slow.bin", make([]byte, 1000000), nil)
	a := newBTApp(t, w.deps, 100, 30)
	a.goTo("slow.bin")
	a.press("D")
	// The batch by hand, so that esc comes while it runs.
	v := a.m.cur.(*downloadView)
	_, cmd := a.m.Update(v.plan()())
	_, cmd = a.m.Update(cmd()) // started: cmd waits for its events
	<-started
	a.press("esc")
	if !strings.Contains(a.frame(), "Stopping: the files being written are removed") {
		t.Errorf("esc:\n%s", a.frame())
	}
	a.run(cmd)
	if f := a.frame(); !strings.Contains(f, "stopped: nothing written") || !strings.Contains(f, "1 stopped, nothing written for them") {
		t.Errorf("after the stop:\n%s", f)
	}
	if left, _ := os.ReadDir(w.wd); len(left) != 0 {
		t.Errorf("the stopped download left %v", left)
	}
}

// On a versioned bucket (moto keeps versions) the details list an
// object's versions, the current one named; an old version downloads and
// presigns as itself, and the sign view says a CloudFront URL serves the
// current version only.
func TestVersionsOnMoto(t *testing.T) {
	moto := testenv.Moto(t)
	bucket := testenv.Bucket(t, moto, "versions")
	raw := rawS3(moto, "AKIDTEST", "secret")
	ctx := context.Background()
	if _, err := raw.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"first", "second", "third"} {
		if _, err := raw.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: sdkaws.String("doc.txt"), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := aws.NewClient(ctx, aws.ClientOptions{EndpointURL: moto, Region: "us-east-1", AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	wd := t.TempDir()
	deps := Deps{Lister: c, Presigner: c, Objects: c, Downloader: c, Workdir: wd,
		Settings: app.Literal(config.Settings{Bucket: bucket, Domain: "cdn.example.com", KeyPairID: "K2JCJMDEHXQW5F", PrivateKey: "/keys/private_key.pem"})}
	a := newBTApp(t, deps, 120, 40)
	a.goTo("doc.txt")
	a.press("enter", "tab", "tab")
	f := a.frame()
	if !strings.Contains(f, "A CloudFront signed URL always serves the current version") || strings.Count(f, " B  ") != 3 || strings.Count(f, "current  ") != 1 {
		t.Fatalf("versions tab:\n%s", f)
	}
	a.press("down", "down") // the first version
	a.press("D", "enter")
	if got, _ := os.ReadFile(filepath.Join(wd, "doc.txt")); string(got) != "first" {
		t.Fatalf("the first version downloaded as %q", got)
	}
	a.press("s") // back in the details, on the same version
	sv, ok := a.m.cur.(*signView)
	if !ok || sv.version == "" || sv.mode != modePresigned {
		t.Fatalf("s on an old version: %T %+v", a.m.cur, sv)
	}
	if f := a.frame(); !strings.Contains(f, "(version "+sv.version+")") || !strings.Contains(f, "a CloudFront signed URL always serves the current version") {
		t.Errorf("sign view of a version:\n%s", f)
	}
	a.press("enter")
	if len(sv.result) != 1 || !strings.Contains(sv.result[0].url, "versionId=") {
		t.Fatalf("presigned %+v (%s)", sv.result, sv.err)
	}
	resp, err := http.Get(sv.result[0].url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "first" {
		t.Fatalf("the presigned URL of the first version serves %q", body)
	}
}

// B lists the account's buckets under a filter; choosing one opens it with
// its own [buckets.NAME] settings: the details' CloudFront URL and the sign
// view follow them, as 'cfsign sign s3://NAME/…' does.
func TestBucketSwitcherKeepsEachBucketsSettings(t *testing.T) {
	moto := testenv.Moto(t)
	// moto is shared: other tests' buckets may fill the list, so both names
	// share a token the filter finds them by.
	tok := strings.ToLower(testenv.Unique("sw"))
	first, second := testenv.Bucket(t, moto, tok+"-photos"), testenv.Bucket(t, moto, tok+"-videos")
	raw := rawS3(moto, "AKIDTEST", "secret")
	if _, err := raw.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &second, Key: sdkaws.String("site/clip.mp4"), Body: strings.NewReader("mp4")}); err != nil {
		t.Fatal(err)
	}
	c, err := aws.NewClient(context.Background(), aws.ClientOptions{EndpointURL: moto, Region: "us-east-1", AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	set := app.Literal(config.Settings{Bucket: first, Domain: "photos.example.net", KeyPairID: "K2JCJMDEHXQW5F", PrivateKey: "/keys/private_key.pem",
		Buckets: map[string]config.BucketSettings{second: {Domain: "videos.example.net", OriginPath: "/site"}}})
	a := newBTApp(t, Deps{Lister: c, Objects: c, Settings: set.ForBucket(first)}, 200, 40) // wide: the names are long
	a.press("B")
	a.press(strings.Split(tok, "")...)
	f := a.frame()
	if !strings.Contains(f, first+" (open)") || !strings.Contains(f, "videos.example.net [buckets."+second+"]") {
		t.Fatalf("the bucket list:\n%s", f)
	}
	a.press(strings.Split(strings.TrimPrefix(second, tok+"-"), "")...) // now only the second matches
	if f := a.frame(); strings.Contains(f, first+" (open)") || !strings.Contains(f, second) {
		t.Fatalf("filtered:\n%s", f)
	}
	a.press("enter")
	if bucket, _ := a.m.browser.location(); bucket != second || !strings.Contains(a.frame(), "signs for videos.example.net") {
		t.Fatalf("after enter: %s\n%s", bucket, a.frame())
	}
	a.press("enter", "enter") // site/, clip.mp4
	if f := a.frame(); !strings.Contains(f, "CloudFront URL      https://videos.example.net/clip.mp4") {
		t.Errorf("details after the switch:\n%s", f)
	}
	a.press("s")
	sv, ok := a.m.cur.(*signView)
	if !ok || sv.target.Domain != "videos.example.net" || sv.target.OriginPath != "/site" {
		t.Fatalf("the sign view signs for %q %q", sv.target.Domain, sv.target.OriginPath)
	}
}
