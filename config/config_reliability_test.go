package config

// Reliability of saving (Apply): a full disk, a read-only file system and
// impossible paths leave the old file as it was and no temporary file; the
// file is always 0600, even over an old 0644 one. Real file systems where
// the machine allows mounting a tmpfs (root ignores permission bits, not
// these); the paths through a regular file work everywhere.

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func relTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0755"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v)", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

func relNames(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return strings.Join(names, ",")
}

// relSaveFails checks that Apply fails with a one-line error holding want,
// and that the old config (if any) still loads with its old domain.
func relSaveFails(t *testing.T, path, want, oldDomain string) {
	t.Helper()
	err := Apply(path, Edit{Key: "domain", Value: "new.example"}, Edit{Key: "key_pair_id", Value: "KNEW"})
	if err == nil {
		t.Fatal("Apply succeeded despite the fault")
	}
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q: want one line with %q", err, want)
	}
	if oldDomain != "" {
		s, err := Load(path)
		if err != nil || s.Domain != oldDomain {
			t.Errorf("old config lost: %+v %v", s, err)
		}
	}
}

func TestReliabilitySaveDiskFull(t *testing.T) {
	dir := relTmpfs(t, "256k")
	path := filepath.Join(dir, "config.toml")
	if err := Apply(path, Edit{Key: "domain", Value: "old.example"}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := f.Write(make([]byte, 32<<10)); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	relSaveFails(t, path, "no space left on device", "old.example")
	if got := relNames(t, dir); got != "config.toml,filler" {
		t.Errorf("left behind: %s", got)
	}
}

func TestReliabilitySaveReadOnlyFS(t *testing.T) {
	dir := relTmpfs(t, "256k")
	path := filepath.Join(dir, "cfsign", "config.toml")
	if err := Apply(path, Edit{Key: "domain", Value: "old.example"}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("remount read-only: %v", err)
	}
	relSaveFails(t, path, "read-only file system", "old.example")
	// A config directory that does not exist yet on a read-only disk.
	relSaveFails(t, filepath.Join(dir, "new", "config.toml"), "read-only file system", "")
	if got := relNames(t, filepath.Join(dir, "cfsign")); got != "config.toml" {
		t.Errorf("left behind: %s", got)
	}
}

func TestReliabilitySaveImpossiblePaths(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	relSaveFails(t, filepath.Join(file, "config.toml"), "not a directory", "")
	relSaveFails(t, filepath.Join(file, "sub", "config.toml"), "not a directory", "")
	// The config path is a directory: the rename fails, the temp file goes.
	asDir := filepath.Join(root, "config.toml")
	os.Mkdir(asDir, 0o700)
	os.WriteFile(filepath.Join(asDir, "keep"), []byte("x"), 0o600)
	relSaveFails(t, asDir, "is a directory", "")
	if got := relNames(t, root); got != "config.toml,file" {
		t.Errorf("left behind in %s: %s", root, got)
	}
}

// An old config readable by others becomes 0600 on the next save (Apply
// replaces the file, it does not write into it), and the directory it makes
// is 0700.
func TestReliabilitySaveTightensMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfsign")
	path := filepath.Join(dir, "config.toml")
	os.Mkdir(dir, 0o755)
	os.WriteFile(path, []byte("domain = \"old.example\"\n"), 0o644)
	if err := Apply(path, Edit{Key: "domain", Value: "new.example"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	nested := filepath.Join(t.TempDir(), "a", "b", "config.toml")
	if err := Apply(nested); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Dir(nested)); st.Mode().Perm() != 0o700 {
		t.Errorf("new dir mode %v, want 0700", st.Mode().Perm())
	}
}

// Loading a config that is a directory or a path through a file: one line
// naming the file.
func TestReliabilityLoadBadPaths(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	for _, p := range []string{root, filepath.Join(file, "config.toml")} {
		_, err := Load(p)
		if p == root && (err == nil || !strings.Contains(err.Error(), p)) {
			t.Errorf("Load(dir) = %v", err)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("not one line: %q", err)
		}
	}
}
