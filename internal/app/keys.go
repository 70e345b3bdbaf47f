package app

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/keys"
)

// KeyGroups is what the key workflows need of CloudFront. *aws.CloudFront
// satisfies it.
type KeyGroups interface {
	ListKeyGroups(ctx context.Context) ([]aws.KeyGroupInfo, error)
	ListPublicKeys(ctx context.Context) ([]aws.PublicKeyInfo, error)
	RegisterPublicKey(ctx context.Context, publicKeyPEM []byte, name string) (id string, existed bool, err error)
	AddKeyToGroup(ctx context.Context, groupID, keyID string) (aws.KeyGroupInfo, bool, error)
	EnsureKeyGroup(ctx context.Context, name, keyID string) (aws.KeyGroupInfo, bool, error)
}

// Registered is what Register did.
type Registered struct {
	ID      string
	Existed bool // CloudFront already held this public key
	// Group is the key group it was added to, when one was asked for;
	// GroupCreated when that group was made for it.
	Group        aws.KeyGroupInfo
	GroupCreated bool
}

// Register uploads pub to CloudFront under name ("" for cfsign-HASH) and,
// with group (a name or an ID), adds it to that key group, made when
// missing. A key CloudFront already holds gives its existing ID.
func Register(ctx context.Context, cf KeyGroups, pub crypto.PublicKey, name, group string) (Registered, error) {
	pem, err := keys.PublicPEM(pub)
	if err != nil {
		return Registered{}, err
	}
	var r Registered
	r.ID, r.Existed, err = cf.RegisterPublicKey(ctx, pem, name)
	if err != nil {
		return Registered{}, err
	}
	if group != "" {
		r.Group, r.GroupCreated, err = cf.EnsureKeyGroup(ctx, group, r.ID)
		if err != nil {
			return r, fmt.Errorf("key %s registered, but key group %s: %w", r.ID, group, err)
		}
	}
	return r, nil
}

// LoadKey loads the private key a setting names, wherever it lives (a
// file, key text, KMS, Secrets Manager, Parameter Store); from says where
// the value came from, for errors. warning is a key file's mode warning.
func (s *Session) LoadKey(ctx context.Context, value, from string) (crypto.Signer, string, error) {
	return aws.LoadKeySigner(ctx, value, from, s.KeySourceOptions())
}

// KMSKeyType is the KMS key spec that makes a key of type t.
func KMSKeyType(t keys.Type) aws.KMSKeyType {
	if t == keys.ECDSA {
		return aws.KMSECDSA
	}
	return aws.KMSRSA
}

// GenerateFiles makes a key pair in dir (see keys.GenerateFiles).
func (s *Session) GenerateFiles(dir string, t keys.Type, force bool) (keys.Pair, error) {
	return keys.GenerateFiles(dir, t, force)
}

// RotateRequest says how to rotate the signing key.
type RotateRequest struct {
	// Group is the key group (a name or an ID); "" for the one holding the
	// current key (or the account's only one).
	Group string
	// KMS makes the new key in AWS KMS (Alias names it); else a key file
	// pair of Type goes into Dir ("" for a directory of its own under the
	// key directory).
	KMS   bool
	Alias string
	Type  keys.Type
	Dir   string
	// Name is the public key's name in CloudFront; "" for cfsign-HASH.
	Name string
}

// Rotation is what a rotation did.
type Rotation struct {
	OldID, NewID string
	Group        aws.KeyGroupInfo // after the new key joined it
	// Setting is the new private key setting: the key file or kms:ARN.
	Setting string
	Pair    *keys.Pair // the key file pair, unless KMS
	KMSARN  string
	// PublicPEM and Fingerprint describe the new key.
	PublicPEM   string
	Fingerprint string
	// Sections are the [buckets.NAME] sections that signed with the old key
	// and now sign with the new one.
	Sections []string
	// Overridden names environment variables that still set the key, so
	// the new one is not used until they change.
	Overridden []string
	// OldExpiry is the latest expiry signed with the old key (zero when
	// unknown): until then its links keep working, and it stays trusted.
	OldExpiry time.Time
}

// ErrKeyGroupFull is the refusal of a rotation into a full key group.
var ErrKeyGroupFull = aws.ErrKeyGroupFull

// Rotate makes a new key (a key file pair, or a KMS key), registers its
// public key with CloudFront, adds it to the key group and switches
// cfsign's settings to sign with it: key_pair_id and private_key at the top
// of config.toml and in every [buckets.NAME] section that used the old key,
// or, on the sandbox, the sandbox's signing key. The old key stays in the
// group, so links already handed out keep working until retired. A key
// file pair nothing trusts (registering failed) is removed.
func (s *Session) Rotate(ctx context.Context, req RotateRequest) (Rotation, error) {
	cf, err := s.CloudFront(ctx)
	if err != nil {
		return Rotation{}, err
	}
	set, err := s.Settings(ctx, "")
	if err != nil {
		return Rotation{}, err
	}
	rot := Rotation{OldID: set.KeyPairID}
	g, err := rotationGroup(ctx, cf, req.Group, rot.OldID)
	if err != nil {
		return rot, err
	}
	if len(g.KeyIDs) >= aws.MaxKeysPerKeyGroup {
		return rot, fmt.Errorf("%w: key group %s already holds %d keys (%s), CloudFront's limit: retire one first with 'cfsign keys retire KEY_PAIR_ID'",
			ErrKeyGroupFull, g.Name, len(g.KeyIDs), strings.Join(g.KeyIDs, ", "))
	}

	var pub crypto.PublicKey
	discard := func() {} // removes a key file pair nothing trusts yet
	if req.KMS {
		k, err := aws.CreateKMSKey(ctx, KMSKeyType(req.Type), req.Alias, "cfsign CloudFront signing key", s.KeySourceOptions())
		if err != nil {
			return rot, err
		}
		pub, rot.KMSARN, rot.Setting = k.Public(), k.ARN(), keys.PrefixKMS+k.ARN()
	} else {
		pair, madeDir, err := s.newKeyFiles(req)
		if err != nil {
			return rot, err
		}
		discard = func() { pair.Remove(madeDir) }
		if pub, err = keys.LoadPublic(pair.PublicPath); err != nil {
			discard()
			return rot, err
		}
		rot.Pair, rot.Setting = &pair, pair.PrivatePath
	}
	pemBytes, err := keys.PublicPEM(pub)
	if err != nil {
		discard()
		return rot, err
	}
	rot.PublicPEM = string(pemBytes)
	rot.Fingerprint, _ = keys.Fingerprint(pub)
	reg, err := Register(ctx, cf, pub, req.Name, "")
	if err != nil {
		if !req.KMS {
			discard()
			return rot, fmt.Errorf("the new key was not registered, so its files are removed: %w", err)
		}
		return rot, fmt.Errorf("KMS key %s made, but: %w", rot.KMSARN, err)
	}
	rot.NewID = reg.ID
	if rot.Group, _, err = cf.AddKeyToGroup(ctx, g.ID, rot.NewID); err != nil {
		return rot, fmt.Errorf("key %s registered, but: %w", rot.NewID, err)
	}
	if err := s.switchKey(ctx, &rot); err != nil {
		return rot, fmt.Errorf("key %s is in key group %s, but: %w", rot.NewID, rot.Group.Name, err)
	}
	if exp, ok, _ := s.Ledger().LatestExpiry(rot.OldID); ok {
		rot.OldExpiry = exp
	}
	return rot, nil
}

// newKeyFiles writes the rotation's key file pair: in req.Dir, or in a
// directory of its own per rotation, never over an old key.
func (s *Session) newKeyFiles(req RotateRequest) (pair keys.Pair, madeDir bool, err error) {
	t := req.Type
	if t == "" {
		t = keys.RSA
	}
	if req.Dir != "" {
		pair, err = keys.GenerateFiles(req.Dir, t, false)
		return pair, false, err
	}
	base := filepath.Join(s.KeyDir(), "rotated-"+s.Now().UTC().Format("20060102T150405Z"))
	for n := 1; ; n++ {
		dir := base
		if n > 1 {
			dir = fmt.Sprintf("%s-%d", base, n)
		}
		if pair, err = keys.GenerateFiles(dir, t, false); !errors.Is(err, keys.ErrExists) || n >= 100 {
			return pair, true, err
		}
	}
}

// ErrGroupUnknown is the refusal of a rotation that cannot tell which key
// group to rotate in.
var ErrGroupUnknown = errors.New("cannot tell which key group to rotate in")

// rotationGroup is the key group to rotate in: the one named (by name or
// ID), else the one holding the current key, else the account's only one.
func rotationGroup(ctx context.Context, cf KeyGroups, group, current string) (aws.KeyGroupInfo, error) {
	groups, err := cf.ListKeyGroups(ctx)
	if err != nil {
		return aws.KeyGroupInfo{}, err
	}
	if group != "" {
		for _, g := range groups {
			if g.ID == group || g.Name == group {
				return g, nil
			}
		}
		return aws.KeyGroupInfo{}, fmt.Errorf("no key group named %s", group)
	}
	var holding []aws.KeyGroupInfo
	for _, g := range groups {
		if current != "" && g.Has(current) {
			holding = append(holding, g)
		}
	}
	switch {
	case len(holding) == 1:
		return holding[0], nil
	case len(holding) > 1:
		var names []string
		for _, g := range holding {
			names = append(names, g.Name)
		}
		return aws.KeyGroupInfo{}, fmt.Errorf("%w: key pair ID %s is in several key groups (%s): name one (cfsign keys rotate --key-group GROUP)", ErrGroupUnknown, current, strings.Join(names, ", "))
	case len(groups) == 1:
		return groups[0], nil
	case len(groups) == 0:
		return aws.KeyGroupInfo{}, fmt.Errorf("%w: this account has no key group: make one with 'cfsign keys register --key-group NAME'", ErrGroupUnknown)
	case current == "":
		return aws.KeyGroupInfo{}, fmt.Errorf("%w: no key pair ID is set to find the key group by: name one (cfsign keys rotate --key-group GROUP)", ErrGroupUnknown)
	}
	return aws.KeyGroupInfo{}, fmt.Errorf("%w: key pair ID %s is in no key group: name one (cfsign keys rotate --key-group GROUP)", ErrGroupUnknown, current)
}

// switchKey makes cfsign sign with the rotation's new key.
func (s *Session) switchKey(ctx context.Context, rot *Rotation) error {
	if s.OnSandbox() {
		return s.SetSandboxKey(ctx, rot.NewID, rot.Setting)
	}
	file := s.sources().File
	edits := []config.Edit{{Key: string(KeyPairID), Value: rot.NewID}, {Key: string(PrivateKey), Value: rot.Setting}}
	for name, b := range file.Buckets {
		if rot.OldID != "" && b.KeyPairID == rot.OldID {
			// The section signs with the new key: the top level's.
			edits = append(edits, config.Edit{Bucket: name, Key: string(KeyPairID), Value: rot.NewID},
				config.Edit{Bucket: name, Key: string(PrivateKey), Remove: true})
			rot.Sections = append(rot.Sections, name)
		}
	}
	if err := s.applyConfig(edits...); err != nil {
		return err
	}
	for _, k := range []Key{KeyPairID, PrivateKey} {
		if v := s.env.Getenv(envNames[k]); v != "" {
			rot.Overridden = append(rot.Overridden, envNames[k])
		}
	}
	return nil
}

// KeyRow is one CloudFront public key, as the key lists show it.
type KeyRow struct {
	Group, GroupID string // "" for a key in no group
	GroupSize      int
	ID, Name       string
	Created        time.Time
	Fingerprint    string
	Signing        bool      // cfsign signs with it
	LatestExpiry   time.Time // the latest expiry cfsign signed with it here
}

// KeyRows lists every key group's keys, then the keys in no group.
func (s *Session) KeyRows(ctx context.Context) ([]KeyRow, error) {
	cf, err := s.CloudFront(ctx)
	if err != nil {
		return nil, err
	}
	groups, err := cf.ListKeyGroups(ctx)
	if err != nil {
		return nil, err
	}
	pubs, err := cf.ListPublicKeys(ctx)
	if err != nil {
		return nil, err
	}
	expiries, _ := s.Ledger().All() // an unreadable ledger only hides expiries
	set, err := s.Settings(ctx, "")
	if err != nil {
		return nil, err
	}
	byID := map[string]aws.PublicKeyInfo{}
	for _, k := range pubs {
		byID[k.ID] = k
	}
	row := func(g aws.KeyGroupInfo, id string) KeyRow {
		k := byID[id]
		fp := "?"
		if pub, err := keys.ParsePublic([]byte(k.PEM)); err == nil {
			fp, _ = keys.Fingerprint(pub)
		}
		return KeyRow{Group: g.Name, GroupID: g.ID, GroupSize: len(g.KeyIDs), ID: id, Name: k.Name, Created: k.Created,
			Fingerprint: fp, Signing: id == set.KeyPairID, LatestExpiry: expiries[id]}
	}
	var rows []KeyRow
	grouped := map[string]bool{}
	for _, g := range groups {
		for _, id := range g.KeyIDs {
			rows = append(rows, row(g, id))
			grouped[id] = true
		}
	}
	for _, k := range pubs {
		if !grouped[k.ID] {
			rows = append(rows, row(aws.KeyGroupInfo{}, k.ID))
		}
	}
	return rows, nil
}
