package keys

import (
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Seams for fault-injection tests (disk full, a failing rename); production
// code never reassigns them.
var (
	renameFile = os.Rename
	linkFile   = os.Link
	writeFile  = func(f *os.File, b []byte) error { _, err := f.Write(b); return err }
	syncFile   = func(f *os.File) error { return f.Sync() }
)

// WriteFiles writes priv and its public key into dir as PrivateFile (0600) and
// PublicFile (0644); dir and any missing parents are created 0700 (an existing
// directory's mode is left alone). priv must be RSA-2048 or ECDSA P-256.
//
// Each file is written to a temporary file in dir (0600 from creation),
// fsynced and then moved into place, so a reader sees the old file or the
// complete new one. Without force an existing file is refused before anything
// is written, with an error that wraps ErrExists. With force the old files are
// kept (hard-linked) until both new ones are in place, and put back if the
// second move fails. On any error no temporary or half-written file is left
// and the directory holds what it held before. Returned paths are absolute.
func WriteFiles(dir string, priv crypto.Signer, force bool) (Pair, error) {
	if dir == "" {
		return Pair{}, errors.New("write keys: no key directory given")
	}
	privPEM, err := PrivatePEM(priv)
	if err != nil {
		return Pair{}, fmt.Errorf("write keys: %w", err)
	}
	pubPEM, err := PublicPEM(priv.Public())
	if err != nil {
		return Pair{}, fmt.Errorf("write keys: %w", err)
	}
	fp, err := Fingerprint(priv.Public())
	if err != nil {
		return Pair{}, fmt.Errorf("write keys: %w", err)
	}
	typ, err := TypeOf(priv)
	if err != nil {
		return Pair{}, fmt.Errorf("write keys: %w", err)
	}
	privPath := filepath.Join(dir, PrivateFile)
	pubPath := filepath.Join(dir, PublicFile)
	if !force {
		if err := refuseExisting(dir); err != nil {
			return Pair{}, err
		}
	}

	created, err := makeDirs(dir)
	if err != nil {
		return Pair{}, fmt.Errorf("write keys: create directory %s: %w", dir, err)
	}
	done := false
	defer func() {
		if !done {
			removeDirs(created)
		}
	}()

	privTmp, err := writeTemp(dir, PrivateFile, privPEM, 0o600)
	if err != nil {
		return Pair{}, fmt.Errorf("write %s: %w", privPath, err)
	}
	defer os.Remove(privTmp)
	pubTmp, err := writeTemp(dir, PublicFile, pubPEM, 0o644)
	if err != nil {
		return Pair{}, fmt.Errorf("write %s: %w", pubPath, err)
	}
	defer os.Remove(pubTmp)

	if force {
		err = replacePair(privTmp, privPath, pubTmp, pubPath)
	} else {
		err = placePair(privTmp, privPath, pubTmp, pubPath)
	}
	if err != nil {
		return Pair{}, err
	}
	syncDir(dir)
	done = true
	return Pair{PrivatePath: absPath(privPath), PublicPath: absPath(pubPath), Fingerprint: fp, Type: typ}, nil
}

func existsError(path string) error {
	return &keyError{kind: ErrExists, msg: fmt.Sprintf("%s already exists; use --force to replace it", path)}
}

// refuseExisting fails with ErrExists when either key file exists in dir.
func refuseExisting(dir string) error {
	for _, name := range []string{PrivateFile, PublicFile} {
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); err == nil {
			return existsError(p)
		}
	}
	return nil
}

// makeDirs creates dir and its missing parents 0700 and returns the ones it
// created, deepest last, so a failed write can remove them again.
func makeDirs(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return nil, fmt.Errorf("%s is not a directory", d)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return nil, bare(err)
		}
		if target, lerr := os.Readlink(d); lerr == nil {
			return nil, fmt.Errorf("%s is a symbolic link to %s, which does not exist: create that directory or choose another --dir", d, target)
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	var created []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o700); err != nil {
			if errors.Is(err, fs.ErrExist) { // made by someone else meanwhile
				continue
			}
			removeDirs(created)
			return nil, bare(err)
		}
		created = append(created, missing[i])
	}
	return created, nil
}

func removeDirs(created []string) {
	for i := len(created) - 1; i >= 0; i-- {
		os.Remove(created[i])
	}
}

// writeTemp writes data to a new temporary file beside name in dir, fsynced
// and with mode perm, and returns its path. On error it leaves nothing.
func writeTemp(dir, name string, data []byte, perm fs.FileMode) (string, error) {
	// CreateTemp opens with mode 0600, so the private key is never wider.
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("create temporary file: %w", bare(err))
	}
	tmp := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(tmp)
		return "", bare(err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := writeFile(f, data); err != nil {
		return fail(err)
	}
	if err := syncFile(f); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", bare(err)
	}
	return tmp, nil
}

// placePair moves both temporary files into place without replacing
// anything; if the second fails, the first is taken out again.
func placePair(privTmp, privPath, pubTmp, pubPath string) error {
	if err := placeNew(privTmp, privPath); err != nil {
		return err
	}
	if err := placeNew(pubTmp, pubPath); err != nil {
		os.Remove(privPath)
		return err
	}
	return nil
}

// placeNew moves tmp to path unless path exists. A hard link fails atomically
// when path exists; on file systems without hard links it falls back to a
// check and a rename.
func placeNew(tmp, path string) error {
	err := linkFile(tmp, path)
	if err == nil {
		os.Remove(tmp)
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return existsError(path)
	}
	if _, serr := os.Lstat(path); serr == nil {
		return existsError(path)
	}
	if err := renameFile(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, bare(err))
	}
	return nil
}

// replacePair moves both temporary files over whatever is there, keeping a
// hard-linked backup of each old file until both moves have succeeded.
func replacePair(privTmp, privPath, pubTmp, pubPath string) error {
	privOld, err := backup(privPath)
	if err != nil {
		return err
	}
	pubOld, err := backup(pubPath)
	if err != nil {
		removeIf(privOld)
		return err
	}
	if err := renameFile(privTmp, privPath); err != nil {
		removeIf(privOld)
		removeIf(pubOld)
		return fmt.Errorf("write %s: %w", privPath, bare(err))
	}
	if err := renameFile(pubTmp, pubPath); err != nil {
		// Put the old private key back so the pair on disk still matches.
		if privOld != "" {
			renameFile(privOld, privPath)
		} else {
			os.Remove(privPath)
		}
		removeIf(pubOld)
		return fmt.Errorf("write %s: %w", pubPath, bare(err))
	}
	removeIf(privOld)
	removeIf(pubOld)
	return nil
}

// backup hard-links an existing path to a hidden name beside it and returns
// that name ("" when path does not exist).
func backup(path string) (string, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("replace %s: %w", path, bare(err))
	}
	if fi.IsDir() {
		return "", fmt.Errorf("replace %s: it is a directory; move it away or choose another directory", path)
	}
	dir, name := filepath.Split(path)
	for range 3 {
		old := filepath.Join(dir, "."+name+".old-"+rand.Text()[:10])
		err = linkFile(path, old)
		if err == nil {
			return old, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	return "", fmt.Errorf("replace %s: keep the old file until the new pair is written: %w", path, bare(err))
}

func removeIf(path string) {
	if path != "" {
		os.Remove(path)
	}
}

// syncDir makes the renames durable; file systems that cannot sync a
// directory are not an error.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
