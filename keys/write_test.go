package keys

import (
	"bytes"
	"crypto"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// snapshot records every entry under dir (name, mode, contents) so a test can
// assert that a failed write left the directory exactly as it was.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		v := fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		got[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func names(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

func assertSame(t *testing.T, before, after map[string]string) {
	t.Helper()
	if !maps.Equal(before, after) {
		t.Fatalf("directory changed after a failed write:\nbefore %v\nafter  %v", names(before), names(after))
	}
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestWriteFilesModesAndContents(t *testing.T) {
	for _, c := range []struct {
		fixture, pemType string
		typ              Type
	}{
		{"rsa2048-pkcs8.pem", "RSA PRIVATE KEY", RSA}, // read as PKCS#8, written as PKCS#1
		{"p256-sec1-params.pem", "PRIVATE KEY", ECDSA},
	} {
		t.Run(string(c.typ), func(t *testing.T) {
			priv := fixtureSigner(t, c.fixture)
			root := t.TempDir()
			dir := filepath.Join(root, "a", "b", "keys")
			pair, err := WriteFiles(dir, priv, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range []string{filepath.Join(root, "a"), filepath.Join(root, "a", "b"), dir} {
				if m := mode(t, d); m != 0o700 {
					t.Errorf("%s mode %04o, want 0700", d, m)
				}
			}
			if pair.PrivatePath != filepath.Join(dir, PrivateFile) || pair.PublicPath != filepath.Join(dir, PublicFile) {
				t.Errorf("paths %+v", pair)
			}
			if m := mode(t, pair.PrivatePath); m != 0o600 {
				t.Errorf("private key mode %04o, want 0600", m)
			}
			if m := mode(t, pair.PublicPath); m != 0o644 {
				t.Errorf("public key mode %04o, want 0644", m)
			}
			if got := names(snapshot(t, dir)); !slices.Equal(got, []string{".", PrivateFile, PublicFile}) {
				t.Errorf("directory holds %v", got)
			}
			data, _ := os.ReadFile(pair.PrivatePath)
			if !bytes.HasPrefix(data, []byte("-----BEGIN "+c.pemType+"-----\n")) {
				t.Errorf("private key file starts %q", data[:30])
			}
			back, warn, err := LoadPrivate(pair.PrivatePath)
			if err != nil || warn != "" {
				t.Fatalf("LoadPrivate: %v %q", err, warn)
			}
			if !back.(equaler).Equal(priv) {
				t.Error("written private key differs")
			}
			pub, err := LoadPublic(pair.PublicPath)
			if err != nil {
				t.Fatal(err)
			}
			if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(priv.Public()) {
				t.Error("written public key differs")
			}
			if fp, _ := Fingerprint(pub); pair.Fingerprint != fp || pair.Type != c.typ {
				t.Errorf("pair %+v; fingerprint %s", pair, fp)
			}
		})
	}
}

func TestWriteFilesKeepsExistingDirMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o750)
	if _, err := WriteFiles(dir, fixtureSigner(t, "p256-pkcs8.pem"), false); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, dir); m != 0o750 {
		t.Errorf("existing directory chmodded to %04o", m)
	}
}

func TestGenerateFiles(t *testing.T) {
	dir := t.TempDir()
	pair, err := GenerateFiles(dir, ECDSA, false)
	if err != nil || pair.Type != ECDSA {
		t.Fatalf("%+v %v", pair, err)
	}
	if _, err := GenerateFiles(dir, ECDSA, false); !errors.Is(err, ErrExists) {
		t.Fatalf("second GenerateFiles: %v", err)
	}
	again, err := GenerateFiles(dir, ECDSA, true)
	if err != nil || again.Fingerprint == pair.Fingerprint {
		t.Fatalf("forced GenerateFiles: %+v %v", again, err)
	}
}

func TestWriteFilesRefusesExisting(t *testing.T) {
	priv := fixtureSigner(t, "p256-pkcs8.pem")
	for _, c := range []struct {
		name  string
		setup func(dir string) string // returns the path the error must name
	}{
		{"private exists", func(dir string) string {
			p := filepath.Join(dir, PrivateFile)
			os.WriteFile(p, []byte("old private"), 0o600)
			return p
		}},
		{"public exists", func(dir string) string {
			p := filepath.Join(dir, PublicFile)
			os.WriteFile(p, []byte("old public"), 0o644)
			return p
		}},
		{"both exist", func(dir string) string {
			os.WriteFile(filepath.Join(dir, PublicFile), []byte("old public"), 0o644)
			p := filepath.Join(dir, PrivateFile)
			os.WriteFile(p, []byte("old private"), 0o600)
			return p
		}},
		{"private is a dangling symlink", func(dir string) string {
			p := filepath.Join(dir, PrivateFile)
			os.Symlink(filepath.Join(dir, "elsewhere"), p)
			return p
		}},
		{"public is a directory", func(dir string) string {
			p := filepath.Join(dir, PublicFile)
			os.Mkdir(p, 0o700)
			return p
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := c.setup(dir)
			before := snapshot(t, dir)
			_, err := WriteFiles(dir, priv, false)
			if !errors.Is(err, ErrExists) {
				t.Fatalf("err = %v, want ErrExists", err)
			}
			if want := path + " already exists; use --force to replace it"; err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			assertSame(t, before, snapshot(t, dir))
		})
	}
}

func TestWriteFilesForce(t *testing.T) {
	dir := t.TempDir()
	oldPriv := filepath.Join(dir, PrivateFile)
	os.WriteFile(oldPriv, []byte("old private"), 0o644) // too wide: the new one must be 0600
	os.Chmod(oldPriv, 0o644)
	os.WriteFile(filepath.Join(dir, PublicFile), []byte("old public"), 0o600)
	priv := fixtureSigner(t, "rsa2048-pkcs1.pem")
	pair, err := WriteFiles(dir, priv, true)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(pair.PrivatePath)
	want, _ := PrivatePEM(priv)
	if !bytes.Equal(got, want) {
		t.Error("private key not replaced")
	}
	if mode(t, pair.PrivatePath) != 0o600 || mode(t, pair.PublicPath) != 0o644 {
		t.Errorf("modes %04o %04o", mode(t, pair.PrivatePath), mode(t, pair.PublicPath))
	}
	if n := names(snapshot(t, dir)); !slices.Equal(n, []string{".", PrivateFile, PublicFile}) {
		t.Errorf("left behind: %v", n)
	}

	// A directory where a key file should be: refused before anything changes.
	dir2 := t.TempDir()
	os.WriteFile(filepath.Join(dir2, PrivateFile), []byte("old private"), 0o600)
	os.Mkdir(filepath.Join(dir2, PublicFile), 0o700)
	before := snapshot(t, dir2)
	if _, err := WriteFiles(dir2, priv, true); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("err = %v", err)
	}
	assertSame(t, before, snapshot(t, dir2))
}

// inject replaces a file-system seam for one test.
func inject[T any](t *testing.T, seam *T, fake T) {
	old := *seam
	*seam = fake
	t.Cleanup(func() { *seam = old })
}

// isTemp reports whether p is one of the temporary files made for name.
func isTemp(p, name string) bool {
	return strings.HasPrefix(filepath.Base(p), "."+name+".tmp-")
}

func TestWriteFilesFaults(t *testing.T) {
	priv := fixtureSigner(t, "p256-pkcs8.pem")
	oldPair := map[string][]byte{PrivateFile: []byte("old private\n"), PublicFile: []byte("old public\n")}
	enospc := syscall.ENOSPC

	cases := []struct {
		name     string
		existing bool // an old pair is on disk
		force    bool
		newDir   bool // the key directory does not exist yet
		arrange  func(t *testing.T)
		want     string
	}{
		{name: "disk full writing the private key", newDir: true, want: "no space left on device",
			arrange: func(t *testing.T) {
				inject(t, &writeFile, func(f *os.File, b []byte) error {
					if isTemp(f.Name(), PrivateFile) {
						if fi, err := f.Stat(); err != nil || fi.Mode().Perm() != 0o600 {
							t.Errorf("private temp file mode %v, want 0600 before any byte is written", fi.Mode())
						}
						f.Write(b[:len(b)/2]) // a partial write, then the disk is full
						return enospc
					}
					return writeErr(f, b)
				})
			}},
		{name: "disk full writing the public key", want: PublicFile + ": no space left on device",
			arrange: func(t *testing.T) {
				inject(t, &writeFile, func(f *os.File, b []byte) error {
					if isTemp(f.Name(), PublicFile) {
						return enospc
					}
					return writeErr(f, b)
				})
			}},
		{name: "fsync fails (I/O error)", existing: true, force: true, want: "input/output error",
			arrange: func(t *testing.T) {
				inject(t, &syncFile, func(f *os.File) error {
					if isTemp(f.Name(), PublicFile) {
						return syscall.EIO
					}
					return f.Sync()
				})
			}},
		{name: "second file cannot be placed", newDir: true, want: "read-only file system",
			arrange: func(t *testing.T) {
				failPublic := func(o, n string) error {
					if filepath.Base(n) == PublicFile {
						return &os.LinkError{Op: "link", Old: o, New: n, Err: syscall.EROFS}
					}
					return os.Link(o, n)
				}
				inject(t, &linkFile, failPublic)
				inject(t, &renameFile, func(o, n string) error {
					if filepath.Base(n) == PublicFile {
						return &os.LinkError{Op: "rename", Old: o, New: n, Err: syscall.EROFS}
					}
					return os.Rename(o, n)
				})
			}},
		{name: "force: second rename fails, old pair restored", existing: true, force: true, want: "write ",
			arrange: func(t *testing.T) {
				inject(t, &renameFile, func(o, n string) error {
					if filepath.Base(n) == PublicFile {
						return &os.LinkError{Op: "rename", Old: o, New: n, Err: enospc}
					}
					return os.Rename(o, n)
				})
			}},
		{name: "force: first rename fails", existing: true, force: true, want: "no space left on device",
			arrange: func(t *testing.T) {
				inject(t, &renameFile, func(o, n string) error {
					return &os.LinkError{Op: "rename", Old: o, New: n, Err: enospc}
				})
			}},
		{name: "force: no new public key yet, second rename fails", force: true, newDir: true, want: "write ",
			arrange: func(t *testing.T) {
				inject(t, &renameFile, func(o, n string) error {
					if filepath.Base(n) == PublicFile {
						return syscall.EIO
					}
					return os.Rename(o, n)
				})
			}},
		{name: "force: old file cannot be kept", existing: true, force: true, want: "keep the old file",
			arrange: func(t *testing.T) {
				inject(t, &linkFile, func(o, n string) error {
					if strings.Contains(n, ".old-") && filepath.Base(o) == PublicFile {
						return &os.LinkError{Op: "link", Old: o, New: n, Err: syscall.EXDEV}
					}
					return os.Link(o, n)
				})
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "keys")
			if !c.newDir {
				os.Mkdir(dir, 0o700)
			}
			if c.existing {
				for n, b := range oldPair {
					os.WriteFile(filepath.Join(dir, n), b, 0o600)
				}
			}
			before := snapshot(t, root)
			c.arrange(t)
			_, err := WriteFiles(dir, priv, c.force)
			if err == nil {
				t.Fatal("write succeeded despite the fault")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			assertSame(t, before, snapshot(t, root))
		})
	}
}

// writeErr is the production writeFile, for fakes that fail only some writes.
func writeErr(f *os.File, b []byte) error { _, err := f.Write(b); return err }

func TestWriteFilesNotADirectory(t *testing.T) {
	priv := fixtureSigner(t, "p256-pkcs8.pem")
	root := t.TempDir()
	file := filepath.Join(root, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	for _, dir := range []string{file, filepath.Join(file, "keys"), filepath.Join(file, "a", "b")} {
		before := snapshot(t, root)
		_, err := WriteFiles(dir, priv, false)
		if err == nil || !strings.Contains(err.Error(), file+" is not a directory") {
			t.Errorf("WriteFiles(%s) = %v", dir, err)
		}
		assertSame(t, before, snapshot(t, root))
	}
	if _, err := WriteFiles("", priv, false); err == nil {
		t.Error("empty dir accepted")
	}
	if _, err := WriteFiles(root, fixtureSigner(t, "rsa2048-pkcs1.pem"), false); err != nil {
		t.Fatal(err)
	}
}

func TestWriteFilesRefusesUnusableKeys(t *testing.T) {
	_, err := WriteFiles(t.TempDir(), nil, false)
	if err == nil {
		t.Fatal("nil key written")
	}
	type otherSigner struct{ crypto.Signer }
	if _, err := WriteFiles(t.TempDir(), otherSigner{fixtureSigner(t, "p256-pkcs8.pem")}, false); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("foreign signer: %v", err)
	}
}

// TestWriteFilesReadOnlyDir uses real permissions, which root ignores; the
// injected faults above cover the same paths when running as root.
func TestWriteFilesReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions; TestWriteFilesFaults injects the failure instead")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o500)
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	before := snapshot(t, dir)
	_, err := WriteFiles(dir, fixtureSigner(t, "p256-pkcs8.pem"), false)
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("err = %v", err)
	}
	assertSame(t, before, snapshot(t, dir))
}
