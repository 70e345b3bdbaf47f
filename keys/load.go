package keys

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// maxKeyFile bounds how much of a file is read: real key files are a few kB.
const maxKeyFile = 1 << 20

// LoadPrivate reads and parses a private key file (see ParsePrivate). warning
// is non-empty when the key loaded but the file is readable by group or others
// (mode & 0o077 != 0); the caller prints it, as ssh does, and carries on.
func LoadPrivate(path string) (signer crypto.Signer, warning string, err error) {
	if path == "" {
		return nil, "", fmt.Errorf("load private key: %w", errorf(ErrNotKey, "no file name given"))
	}
	data, mode, err := readKeyFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("load private key %s: %w", path, err)
	}
	signer, err = parsePrivate(data, shellQuote(path))
	if err != nil {
		return nil, "", fmt.Errorf("load private key %s: %w", path, err)
	}
	return signer, permWarning(path, mode), nil
}

// LoadPublic reads and parses a public key file (see ParsePublic).
func LoadPublic(path string) (crypto.PublicKey, error) {
	if path == "" {
		return nil, fmt.Errorf("load public key: %w", errorf(ErrNotKey, "no file name given"))
	}
	data, _, err := readKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("load public key %s: %w", path, err)
	}
	pub, err := parsePublic(data, shellQuote(path))
	if err != nil {
		return nil, fmt.Errorf("load public key %s: %w", path, err)
	}
	return pub, nil
}

// permWarning is the ssh-style warning for a private key others can reach.
func permWarning(path string, mode fs.FileMode) string {
	perm := mode.Perm()
	if perm&0o077 == 0 {
		return ""
	}
	how := "readable"
	if perm&0o044 == 0 {
		how = "accessible"
	}
	return fmt.Sprintf("private key %s is %s by others (mode %04o); run: chmod 600 %s", path, how, perm, shellQuote(path))
}

// readKeyFile reads at most maxKeyFile bytes of path. Its errors carry no
// path (the caller adds it once).
func readKeyFile(path string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("%w (make a key pair with: cfsign keys generate)", bare(err))
	}
	if err != nil {
		return nil, 0, bare(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, bare(err)
	}
	if fi.IsDir() {
		return nil, 0, errorf(ErrNotKey, "is a directory, not a key file")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, 0, bare(err)
	}
	if len(data) > maxKeyFile {
		return nil, 0, errorf(ErrNotKey, "larger than %d bytes: not a key file", maxKeyFile)
	}
	return data, fi.Mode(), nil
}

// bare drops the operation and paths from an *fs.PathError or *os.LinkError so the wrapped
// message names the path once; errors.Is still sees the cause.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// shellQuote quotes path for a command line the user may paste.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./+@%:,=~", r)) {
			safe = false
			break
		}
	}
	if safe && !strings.HasPrefix(s, "~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
