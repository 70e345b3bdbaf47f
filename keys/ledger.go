package keys

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Ledger is a small state file recording, for each key pair ID, the latest
// expiry cfsign has signed with it, so retiring a key can say until when
// links signed with it stay valid. It holds no key material; it is written
// 0600 anyway, as it shows which keys sign what.
type Ledger struct {
	path string
}

// NewLedger returns the ledger kept at path.
func NewLedger(path string) *Ledger { return &Ledger{path: path} }

// Path is the ledger's file.
func (l *Ledger) Path() string { return l.path }

type ledgerFile struct {
	KeyPairIDs map[string]ledgerEntry `json:"key_pair_ids"`
}

type ledgerEntry struct {
	LatestExpiry time.Time `json:"latest_expiry"`
}

// ledgerMu serialises read-modify-write within one process; separate
// processes may race, and the later write wins (a lost record errs on an
// earlier expiry, which a --force retire would also ignore).
var ledgerMu sync.Mutex

// Record notes that a signature with keyPairID expires at exp; the ledger
// keeps the latest.
func (l *Ledger) Record(keyPairID string, exp time.Time) error {
	ledgerMu.Lock()
	defer ledgerMu.Unlock()
	f, err := l.read()
	if err != nil {
		return err
	}
	if cur, ok := f.KeyPairIDs[keyPairID]; ok && !exp.After(cur.LatestExpiry) {
		return nil
	}
	f.KeyPairIDs[keyPairID] = ledgerEntry{LatestExpiry: exp.UTC().Truncate(time.Second)}
	b, _ := json.MarshalIndent(f, "", "  ")
	if err := writeAtomic(l.path, append(b, '\n')); err != nil {
		return fmt.Errorf("record signed expiry in %s: %w", l.path, err)
	}
	return nil
}

// LatestExpiry is the latest expiry recorded for keyPairID (ok=false when
// cfsign never signed with it here).
func (l *Ledger) LatestExpiry(keyPairID string) (exp time.Time, ok bool, err error) {
	all, err := l.All()
	if err != nil {
		return time.Time{}, false, err
	}
	exp, ok = all[keyPairID]
	return exp, ok, nil
}

// All returns every recorded key pair ID's latest expiry.
func (l *Ledger) All() (map[string]time.Time, error) {
	ledgerMu.Lock()
	defer ledgerMu.Unlock()
	f, err := l.read()
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(f.KeyPairIDs))
	for id, e := range f.KeyPairIDs {
		out[id] = e.LatestExpiry
	}
	return out, nil
}

func (l *Ledger) read() (ledgerFile, error) {
	f := ledgerFile{KeyPairIDs: map[string]ledgerEntry{}}
	b, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("read %s: %w", l.path, bare(err))
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("read %s: not a cfsign expiry ledger (%v); move it away to start afresh", l.path, err)
	}
	if f.KeyPairIDs == nil {
		f.KeyPairIDs = map[string]ledgerEntry{}
	}
	return f, nil
}

// writeAtomic writes data to path (0600, directory 0700) through a
// temporary file and a rename, so a crash never leaves half a file.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return bare(err)
	}
	tmp, err := os.CreateTemp(dir, ".ledger-*.tmp")
	if err != nil {
		return bare(err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return bare(err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return bare(err)
	}
	if err := tmp.Close(); err != nil {
		return bare(err)
	}
	return bare(os.Rename(tmp.Name(), path))
}
