package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfsign/cfsign/aws"
)

// rmFixture puts keys under a prefix of its own in the shared sandbox and
// returns the prefix, a put and an exists.
func rmFixture(t *testing.T, keys ...string) (string, func(...string), func(string) bool) {
	t.Helper()
	c, sb := relSandboxClient(t)
	ctx := context.Background()
	f := filepath.Join(t.TempDir(), "x")
	os.WriteFile(f, []byte("x"), 0o644)
	base := relStamp("rm") + "/"
	put := func(keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, err := c.Upload(ctx, aws.UploadRequest{Path: f, Bucket: sb.Bucket, Key: base + k}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	exists := func(k string) bool { _, err := c.Head(ctx, sb.Bucket, base+k); return err == nil }
	put(keys...)
	return base, put, exists
}

// rm --recursive s3://b/pre means the folder pre/: never prefix.txt beside
// it. A raw string prefix is asked for with --raw-prefix; --dryrun lists
// what would go and deletes nothing.
func TestRmRecursiveMeansTheFolder(t *testing.T) {
	base, put, exists := rmFixture(t, "pre/a.txt", "pre/b.txt", "prefix.txt")
	te := newTestEnv(t).withSandbox()
	u := "s3://sandbox/" + base + "pre"

	r := te.run("--sandbox", "rm", "--recursive", "--dryrun", u).mustOK(t)
	want := "(dryrun) delete: s3://sandbox/" + base + "pre/a.txt\n(dryrun) delete: s3://sandbox/" + base + "pre/b.txt\n"
	if r.stdout != want || !exists("pre/a.txt") {
		t.Fatalf("--dryrun: %q, want %q", r.stdout, want)
	}
	r = te.run("--sandbox", "rm", "--recursive", u).mustOK(t)
	if !strings.Contains(r.stdout, "deleted 2 objects under s3://sandbox/"+base+"pre/") || exists("pre/a.txt") || exists("pre/b.txt") {
		t.Fatalf("rm --recursive: %q", r.stdout)
	}
	if !exists("prefix.txt") {
		t.Fatal("rm --recursive s3://b/pre deleted prefix.txt, which is not in the folder pre/")
	}
	put("pre/c.txt")
	r = te.run("--sandbox", "rm", "--recursive", "--raw-prefix", u).mustOK(t)
	if !strings.Contains(r.stdout, "deleted 2 objects under s3://sandbox/"+base+"pre\n") || exists("prefix.txt") || exists("pre/c.txt") {
		t.Fatalf("--raw-prefix: %q", r.stdout)
	}
	te.run("--sandbox", "rm", "--raw-prefix", u).oneLineError(t, ExitUsage, "--raw-prefix goes with --recursive")
}

// On a terminal, rm asks before deleting more than one object, naming the
// first ones and the count; no keeps them, y deletes, --yes does not ask.
func TestRmAsksOnATerminal(t *testing.T) {
	base, put, exists := rmFixture(t, "a.txt", "b.txt")
	te := newTestEnv(t).withSandbox()
	te.env.StdinTTY, te.env.StderrTTY = true, true
	u := func(k string) string { return "s3://sandbox/" + base + k }

	te.in = "n\n"
	r := te.run("--sandbox", "rm", u("a.txt"), u("b.txt")).mustOK(t)
	if !strings.Contains(r.stderr, "Delete 2 objects in s3://sandbox/: "+base+"a.txt, "+base+"b.txt?") ||
		!strings.Contains(r.stderr, "nothing deleted") || r.stdout != "" || !exists("a.txt") || !exists("b.txt") {
		t.Fatalf("answered no: stdout %q stderr %q", r.stdout, r.stderr)
	}
	te.in = "y\n"
	r = te.run("--sandbox", "rm", "--recursive", "s3://sandbox/"+base).mustOK(t)
	if !strings.Contains(r.stderr, "Delete 2 objects under s3://sandbox/"+base+" (a.txt, b.txt)?") || exists("a.txt") {
		t.Fatalf("answered yes: stdout %q stderr %q", r.stdout, r.stderr)
	}
	put("c.txt", "d.txt")
	te.in = ""
	r = te.run("--sandbox", "rm", "--yes", u("c.txt"), u("d.txt")).mustOK(t)
	if strings.Contains(r.stderr, "Delete") || exists("c.txt") || exists("d.txt") {
		t.Fatalf("--yes: stdout %q stderr %q", r.stdout, r.stderr)
	}
	// One object: no question.
	put("e.txt")
	r = te.run("--sandbox", "rm", u("e.txt")).mustOK(t)
	if strings.Contains(r.stderr, "Delete") || exists("e.txt") {
		t.Fatalf("one object: %q", r.stderr)
	}
}

// rm of a key that names no object says so and exits 1 (as rm(1) does),
// and says which names are folders; it never claims a delete.
func TestRmSaysWhenNothingWasThere(t *testing.T) {
	base, _, exists := rmFixture(t, "here.txt", "dir/x.txt")
	te := newTestEnv(t).withSandbox()
	u := func(k string) string { return "s3://sandbox/" + base + k }
	r := te.run("--sandbox", "rm", u("nope.txt"))
	r.oneLineError(t, ExitError, "no object at "+u("nope.txt"))
	r = te.run("--sandbox", "rm", u("dir"))
	r.oneLineError(t, ExitError, u("dir")+" is a folder, not an object: pass --recursive")
	r = te.run("--sandbox", "rm", u("nope.txt"), u("here.txt"))
	if r.code != ExitError || r.stdout != "deleted "+u("here.txt")+"\n" || !strings.Contains(r.stderr, "no object at "+u("nope.txt")) || exists("here.txt") {
		t.Fatalf("one there, one not: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}

// upload --no-clobber keeps every object that is there, says so for each,
// and uploads the rest; exit 0, as cp -n.
func TestUploadNoClobberKeepsWhatIsThere(t *testing.T) {
	base, _, exists := rmFixture(t, "d/old.txt")
	c, sb := relSandboxClient(t)
	te := newTestEnv(t).withSandbox()
	dir := filepath.Join(t.TempDir(), "d")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "old.txt"), []byte("new content"), 0o644)
	os.WriteFile(filepath.Join(dir, "new.txt"), []byte("new"), 0o644)
	r := te.run("--sandbox", "upload", "--no-clobber", dir, "s3://sandbox/"+base).mustOK(t)
	if r.stdout != "s3://sandbox/"+base+"d/new.txt\n" || !strings.Contains(r.stderr, "skipped s3://sandbox/"+base+"d/old.txt: an object is there, kept (--no-clobber)") ||
		!strings.Contains(r.stderr, "uploaded 1 file (3 B) in ") || !strings.Contains(r.stderr, "1 file skipped") {
		t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
	}
	if info, err := c.Head(context.Background(), sb.Bucket, base+"d/old.txt"); err != nil || info.Size != 1 || !exists("d/new.txt") {
		t.Fatalf("the old object was replaced, or the new one not uploaded: %+v %v", info, err)
	}
}
