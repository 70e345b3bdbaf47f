package cli

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/plural"
	"github.com/cfsign/cfsign/keys"
)

const keysCreateUsage = `Usage: cfsign keys create --kms [--alias NAME] [--type rsa|ecdsa] [--name NAME] [--key-group GROUP]

Creates an asymmetric signing key in AWS KMS (RSA_2048, or ECC_NIST_P256 with
--type ecdsa); its private key never leaves KMS. Fetches the public key
(GetPublicKey) and registers it with CloudFront as 'cfsign keys register'
does. Prints the KMS key ARN, the CloudFront key pair ID and the fingerprint,
computed as for key files so the two compare.

Sign with it: --private-key kms:ARN (or kms:alias/NAME) --key-pair-id ID.
The endpoint override AWS_ENDPOINT_URL_KMS is honoured.

Flags:
  --kms                create the key in AWS KMS (required)
  --alias NAME         give the KMS key the alias NAME (alias/ is added)
  --type rsa|ecdsa     RSA-2048 (default) or ECDSA P-256
  --name NAME          name of the public key in CloudFront (default cfsign-FINGERPRINT)
  --key-group GROUP    key group to add the key to (created if missing)
  --profile NAME       AWS profile
  -h, --help           show this help
`

const keysRotateUsage = `Usage: cfsign keys rotate [--key-group GROUP] [--kms [--alias NAME]] [--type rsa|ecdsa] [--dir DIR]

Makes a new key pair (or, with --kms, a KMS key), registers its public key
with CloudFront and adds it to the key group (UpdateKeyGroup with If-Match),
then switches cfsign's settings (key_pair_id and private_key in config.toml;
on --sandbox, the sandbox's signing key) to sign with the new key. The old
key stays in the group, so links already handed out keep working until they
expire; take it out later with 'cfsign keys retire'. A key group holds at
most 5 keys: rotate refuses when it is full.

Flags:
  --key-group GROUP    the key group (default: the one holding the current key)
  --kms                make the new key in AWS KMS
  --alias NAME         with --kms, the KMS alias for the new key
  --type rsa|ecdsa     RSA-2048 (default) or ECDSA P-256
  --dir DIR            where a new key file pair goes (default $XDG_CONFIG_HOME/cfsign/keys/rotated-TIME)
  --name NAME          name of the public key in CloudFront (default cfsign-FINGERPRINT)
  --sandbox            rotate the local sandbox's key
  -h, --help           show this help
`

const keysRetireUsage = `Usage: cfsign keys retire KEY_PAIR_ID [--key-group GROUP] [--delete] [--force]

Takes an old key out of its key group(s), so CloudFront stops accepting what
was signed with it, and with --delete deletes the public key too. cfsign
records the latest expiry it has signed with each key pair ID; while links
signed with this one are still valid, retire says until when and refuses
unless --force. The key cfsign signs with cannot be retired: rotate first.

Flags:
  --key-group GROUP    only this key group (default: every group holding the key)
  --delete             also delete the CloudFront public key
  --force              retire even though links signed with it are still valid
  --sandbox            the local sandbox's CloudFront
  -h, --help           show this help
`

const keysListUsage = `Usage: cfsign keys list

Shows each CloudFront key group with its keys: key pair ID, name, created,
fingerprint, "signing" for the key cfsign signs with, and the latest expiry
cfsign has signed with it here. Keys in no group follow.

Flags:
  --sandbox            the local sandbox's CloudFront
  --profile NAME       AWS profile
  -h, --help           show this help
`

func runKeysCreate(ctx context.Context, r *runner, args []string) error {
	var useKMS bool
	var alias, typ, name, group string
	fs := newFlagSet("keys create")
	r.global.register(fs)
	fs.BoolVar(&useKMS, "kms", false, "")
	fs.StringVar(&alias, "alias", "", "")
	fs.StringVar(&typ, "type", "rsa", "")
	fs.StringVar(&name, "name", "", "")
	fs.StringVar(&group, "key-group", "", "")
	pos, err := r.parseArgs(fs, keysCreateUsage, args)
	if err != nil {
		return err
	}
	const hint = "Run 'cfsign keys create --help' for usage."
	if len(pos) > 0 {
		return usagef(hint, "keys create: unexpected argument %q", pos[0])
	}
	if !useKMS {
		return usagef(hint, "keys create: only --kms is supported; for a key file use 'cfsign keys generate'")
	}
	kt, err := kmsKeyType(typ)
	if err != nil {
		return usagef(hint, "keys create: %v", err)
	}
	opts, err := r.keySourceOptions()
	if err != nil {
		return err
	}
	k, err := aws.CreateKMSKey(ctx, kt, alias, "cfsign CloudFront signing key", opts)
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	cf, release, err := r.cloudFront(ctx)
	if err != nil {
		return fmt.Errorf("keys create: KMS key %s created, but: %w", k.ARN(), err)
	}
	defer release()
	id, err := r.registerKey(ctx, cf, k.Public(), name, group)
	if err != nil {
		return fmt.Errorf("keys create: KMS key %s created, but registering it with CloudFront failed: %w (retry with 'cfsign keys register --private-key kms:%s')", k.ARN(), err, k.ARN())
	}
	fp, err := keys.Fingerprint(k.Public())
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	w := r.env.Stdout
	fmt.Fprintf(w, "kms key:     %s\n", k.ARN())
	if alias != "" {
		fmt.Fprintf(w, "alias:       %s\n", "alias/"+strings.TrimPrefix(alias, "alias/"))
	}
	fmt.Fprintf(w, "key pair ID: %s\n", id)
	fmt.Fprintf(w, "fingerprint: %s\n", fp)
	fmt.Fprintf(r.env.Stderr, "Next: sign with --private-key kms:%s --key-pair-id %s (or set private_key and key_pair_id in config.toml)\n", k.ARN(), id)
	return nil
}

func kmsKeyType(typ string) (aws.KMSKeyType, error) {
	t, err := keys.ParseType(typ)
	if err != nil {
		return "", err
	}
	if t == keys.ECDSA {
		return aws.KMSECDSA, nil
	}
	return aws.KMSRSA, nil
}

// keysTarget is the CloudFront (and, with --sandbox, the sandbox) the key
// commands work on.
type keysTarget struct {
	cf      *aws.CloudFront
	sb      *sandbox.Sandbox
	release func()
}

func (r *runner) keysTarget(ctx context.Context) (*keysTarget, error) {
	if !r.global.sandbox {
		cf, release, err := r.cloudFront(ctx)
		if err != nil {
			return nil, err
		}
		return &keysTarget{cf: cf, release: release}, nil
	}
	sb, release, err := r.startSandbox(ctx)
	if err != nil {
		return nil, err
	}
	cf, err := r.sandboxCloudFront(ctx, sb)
	if err != nil {
		release()
		return nil, err
	}
	return &keysTarget{cf: cf, sb: sb, release: release}, nil
}

// currentKey is the key pair ID and key setting cfsign signs with.
func (r *runner) currentKey(ctx context.Context, t *keysTarget) (id, setting string, err error) {
	if t.sb != nil {
		id, setting = r.sandboxSigningKey(ctx, t.sb, t.cf)
		return id, setting, nil
	}
	s, err := r.settings("")
	if err != nil {
		return "", "", err
	}
	setting, _, err = r.keySetting("", "--private-key", "")
	return s.KeyPairID, setting, err
}

func runKeysRotate(ctx context.Context, r *runner, args []string) error {
	var group, alias, typ, dir, name string
	var useKMS bool
	fs := newFlagSet("keys rotate")
	r.global.register(fs)
	fs.StringVar(&group, "key-group", "", "")
	fs.BoolVar(&useKMS, "kms", false, "")
	fs.StringVar(&alias, "alias", "", "")
	fs.StringVar(&typ, "type", "rsa", "")
	fs.StringVar(&dir, "dir", "", "")
	fs.StringVar(&name, "name", "", "")
	pos, err := r.parseArgs(fs, keysRotateUsage, args)
	if err != nil {
		return err
	}
	const hint = "Run 'cfsign keys rotate --help' for usage."
	if len(pos) > 0 {
		return usagef(hint, "keys rotate: unexpected argument %q", pos[0])
	}
	if alias != "" && !useKMS {
		return usagef(hint, "keys rotate: --alias names a KMS key: add --kms")
	}
	kt, err := kmsKeyType(typ)
	if err != nil {
		return usagef(hint, "keys rotate: %v", err)
	}
	t, err := r.keysTarget(ctx)
	if err != nil {
		return err
	}
	defer t.release()
	oldID, _, err := r.currentKey(ctx, t)
	if err != nil {
		return err
	}
	g, err := r.rotationGroup(ctx, t.cf, group, oldID)
	if err != nil {
		return fmt.Errorf("keys rotate: %w", err)
	}
	if len(g.KeyIDs) >= aws.MaxKeysPerKeyGroup {
		return fmt.Errorf("keys rotate: key group %s already holds %d keys (%s), CloudFront's limit: retire one first with 'cfsign keys retire KEY_PAIR_ID'",
			g.Name, len(g.KeyIDs), strings.Join(g.KeyIDs, ", "))
	}

	// The new key: in KMS, or a key file pair beside the old one.
	var pub crypto.PublicKey
	var setting, where string
	discard := func() {} // removes a key file pair that nothing trusts yet
	if useKMS {
		opts, err := r.keySourceOptions()
		if err != nil {
			return err
		}
		k, err := aws.CreateKMSKey(ctx, kt, alias, "cfsign CloudFront signing key", opts)
		if err != nil {
			return fmt.Errorf("keys rotate: %w", err)
		}
		pub, setting, where = k.Public(), keys.PrefixKMS+k.ARN(), "kms key:     "+k.ARN()
	} else {
		t, err := keys.ParseType(typ)
		if err != nil {
			return usagef(hint, "keys rotate: %v", err)
		}
		var pair keys.Pair
		madeDir := false
		if dir != "" {
			pair, err = keys.GenerateFiles(dir, t, false)
		} else {
			madeDir = true
			// A directory of its own per rotation, never over an old key.
			base := filepath.Join(config.KeyDir(r.env.Getenv), "rotated-"+r.now().UTC().Format("20060102T150405Z"))
			for n := 1; ; n++ {
				dir = base
				if n > 1 {
					dir = fmt.Sprintf("%s-%d", base, n)
				}
				if pair, err = keys.GenerateFiles(dir, t, false); !errors.Is(err, keys.ErrExists) || n >= 100 {
					break
				}
			}
		}
		if err != nil {
			return fmt.Errorf("keys rotate: %w", err)
		}
		discard = func() { pair.Remove(madeDir) }
		if pub, err = keys.LoadPublic(pair.PublicPath); err != nil {
			discard()
			return fmt.Errorf("keys rotate: %w", err)
		}
		setting, where = pair.PrivatePath, "private key: "+pair.PrivatePath
	}
	newID, err := r.registerKey(ctx, t.cf, pub, name, "")
	if err != nil {
		if !useKMS {
			discard()
			return fmt.Errorf("keys rotate: the new key was not registered, so its files are removed: %w", err)
		}
		return fmt.Errorf("keys rotate: new key made (%s), but: %w", strings.TrimSpace(where[strings.Index(where, ":")+1:]), err)
	}
	g, _, err = t.cf.AddKeyToGroup(ctx, g.ID, newID)
	if err != nil {
		return fmt.Errorf("keys rotate: key %s registered, but: %w", newID, err)
	}
	if err := r.switchKey(t, oldID, newID, setting); err != nil {
		return fmt.Errorf("keys rotate: key %s is in key group %s, but: %w", newID, g.Name, err)
	}
	fp, _ := keys.Fingerprint(pub)
	e := r.env.Stderr
	fmt.Fprintf(e, "%s\nfingerprint: %s\n", where, fp)
	fmt.Fprintf(e, "key group %s now holds %d of %d keys; cfsign signs with %s\n", g.Name, len(g.KeyIDs), aws.MaxKeysPerKeyGroup, newID)
	if oldID != "" && oldID != newID {
		msg := "links signed with it keep working"
		if exp, ok, _ := r.ledger().LatestExpiry(oldID); ok && exp.After(r.now()) {
			msg = "the last links signed with it expire " + exp.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(e, "old key %s stays trusted (%s); retire it later with: cfsign keys retire %s\n", oldID, msg, oldID)
	}
	fmt.Fprintln(r.env.Stdout, newID)
	return nil
}

// rotationGroup is the key group to rotate in: the one named, else the one
// holding the current key.
func (r *runner) rotationGroup(ctx context.Context, cf *aws.CloudFront, group, current string) (aws.KeyGroupInfo, error) {
	if group != "" {
		return cf.FindKeyGroup(ctx, group)
	}
	if current == "" {
		return aws.KeyGroupInfo{}, fmt.Errorf("no current key pair ID to find the key group by: pass --key-group GROUP")
	}
	groups, err := cf.GroupsWithKey(ctx, current)
	if err != nil {
		return aws.KeyGroupInfo{}, err
	}
	switch len(groups) {
	case 0:
		return aws.KeyGroupInfo{}, fmt.Errorf("key pair ID %s is in no key group: pass --key-group GROUP", current)
	case 1:
		return groups[0], nil
	}
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
	}
	return aws.KeyGroupInfo{}, fmt.Errorf("key pair ID %s is in several key groups (%s): pass --key-group GROUP", current, strings.Join(names, ", "))
}

// switchKey makes cfsign sign with the new key: the sandbox's signing key
// on --sandbox, else key_pair_id and private_key in config.toml (top level,
// and every [buckets.NAME] section that used the old key pair ID).
func (r *runner) switchKey(t *keysTarget, oldID, newID, setting string) error {
	if t.sb != nil {
		return r.saveSandboxKey(t.sb, newID, setting)
	}
	if _, err := r.settings(""); err != nil {
		return err
	}
	f := *r.file
	f.KeyPairID, f.PrivateKey = newID, setting
	if len(f.Buckets) > 0 {
		b := make(map[string]config.BucketSettings, len(f.Buckets))
		for name, s := range f.Buckets {
			if oldID != "" && s.KeyPairID == oldID {
				s.KeyPairID, s.PrivateKey = newID, ""
			}
			b[name] = s
		}
		f.Buckets = b
	}
	path := config.PathFrom(r.env.Getenv)
	if err := config.Save(path, f); err != nil {
		return err
	}
	r.file = &f
	for _, v := range []string{config.EnvKeyPairID, config.EnvPrivateKey} {
		if r.env.Getenv(v) != "" {
			r.warn("%s is set and overrides %s: update it to sign with the new key", v, path)
		}
	}
	return nil
}

// sandboxKeyFile is where rotate on --sandbox records the sandbox's new
// signing key; the sandbox's own key pair stays as it is.
type sandboxKeyFile struct {
	DistributionID string `json:"distribution_id"`
	KeyPairID      string `json:"key_pair_id"`
	PrivateKey     string `json:"private_key"`
}

func (r *runner) sandboxKeyPath() string {
	return filepath.Join(filepath.Dir(config.ExpiryLedgerPath(r.env.Getenv)), "sandbox-key.json")
}

func (r *runner) saveSandboxKey(sb *sandbox.Sandbox, id, setting string) error {
	return writeSandboxKey(r.sandboxKeyPath(), sb, id, setting)
}

// writeSandboxKey records the sandbox's signing key in path (0600).
func writeSandboxKey(path string, sb *sandbox.Sandbox, id, setting string) error {
	b, _ := json.MarshalIndent(sandboxKeyFile{DistributionID: sb.DistributionID, KeyPairID: id, PrivateKey: setting}, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save sandbox key: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save sandbox key: %w", err)
	}
	return nil
}

// sandboxSigningKey is the key the sandbox signs with: the one rotate
// switched to, while the sandbox's CloudFront still trusts it, else the
// sandbox's own key pair.
func (r *runner) sandboxSigningKey(ctx context.Context, sb *sandbox.Sandbox, cf *aws.CloudFront) (id, setting string) {
	b, err := os.ReadFile(r.sandboxKeyPath())
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			r.debugf("sandbox key: %v", err)
		}
		return sb.KeyPairID, sb.PrivateKeyPath
	}
	var k sandboxKeyFile
	if json.Unmarshal(b, &k) != nil || k.DistributionID != sb.DistributionID || k.KeyPairID == "" {
		return sb.KeyPairID, sb.PrivateKeyPath
	}
	if cf == nil {
		if cf, err = r.sandboxCloudFront(ctx, sb); err != nil {
			return sb.KeyPairID, sb.PrivateKeyPath
		}
	}
	groups, err := cf.GroupsWithKey(ctx, k.KeyPairID)
	if err != nil || len(groups) == 0 {
		r.debugf("sandbox key %s is no longer in a key group: signing with the sandbox's own key", k.KeyPairID)
		return sb.KeyPairID, sb.PrivateKeyPath
	}
	return k.KeyPairID, k.PrivateKey
}

func runKeysRetire(ctx context.Context, r *runner, args []string) error {
	var group string
	var del, force bool
	fs := newFlagSet("keys retire")
	r.global.register(fs)
	fs.StringVar(&group, "key-group", "", "")
	fs.BoolVar(&del, "delete", false, "")
	fs.BoolVar(&force, "force", false, "")
	pos, err := r.parseArgs(fs, keysRetireUsage, args)
	if err != nil {
		return err
	}
	const hint = "Run 'cfsign keys retire --help' for usage."
	if len(pos) != 1 {
		return usagef(hint, "keys retire: give one KEY_PAIR_ID")
	}
	id := pos[0]
	t, err := r.keysTarget(ctx)
	if err != nil {
		return err
	}
	defer t.release()
	current, _, err := r.currentKey(ctx, t)
	if err != nil {
		return err
	}
	if id == current {
		return fmt.Errorf("keys retire: %s is the key cfsign signs with: run 'cfsign keys rotate' first", id)
	}
	exp, known, err := r.ledger().LatestExpiry(id)
	if err != nil {
		return fmt.Errorf("keys retire: %w", err)
	}
	now := r.now()
	if known && exp.After(now) {
		left := exp.Sub(now).Round(time.Second)
		if !force {
			return fmt.Errorf("keys retire: links signed with %s are valid until %s (%s from now): retiring it now makes them fail with 403; wait until then, or pass --force",
				id, exp.UTC().Format(time.RFC3339), left)
		}
		r.warn("links signed with %s stay valid until %s; retiring anyway (--force): they will fail with 403", id, exp.UTC().Format(time.RFC3339))
	}
	if !known {
		fmt.Fprintf(r.env.Stderr, "note: cfsign has no record of signing with %s here (%s); links signed elsewhere may still be valid\n", id, r.ledger().Path())
	}
	var groups []aws.KeyGroupInfo
	if group != "" {
		g, err := t.cf.FindKeyGroup(ctx, group)
		if err != nil {
			return fmt.Errorf("keys retire: %w", err)
		}
		groups = append(groups, g)
	} else if groups, err = t.cf.GroupsWithKey(ctx, id); err != nil {
		return fmt.Errorf("keys retire: %w", err)
	}
	if len(groups) == 0 && !del {
		return fmt.Errorf("keys retire: %s is in no key group (pass --delete to delete the public key)", id)
	}
	for _, g := range groups {
		after, changed, err := t.cf.RemoveKeyFromGroup(ctx, g.ID, id)
		if err != nil {
			return fmt.Errorf("keys retire: %w", err)
		}
		if !changed {
			fmt.Fprintf(r.env.Stderr, "%s was not in key group %s\n", id, g.Name)
			continue
		}
		fmt.Fprintf(r.env.Stderr, "removed %s from key group %s (%s left)\n", id, after.Name, plural.Count(len(after.KeyIDs), "key"))
	}
	if del {
		if err := t.cf.DeletePublicKey(ctx, id); err != nil {
			return fmt.Errorf("keys retire: %w", err)
		}
		fmt.Fprintf(r.env.Stderr, "deleted public key %s\n", id)
	}
	fmt.Fprintln(r.env.Stdout, id)
	return nil
}

func runKeysList(ctx context.Context, r *runner, args []string) error {
	fs := newFlagSet("keys list")
	r.global.register(fs)
	pos, err := r.parseArgs(fs, keysListUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("Run 'cfsign keys list --help' for usage.", "keys list: unexpected argument %q", pos[0])
	}
	t, err := r.keysTarget(ctx)
	if err != nil {
		return err
	}
	defer t.release()
	rows, err := r.keyRows(ctx, t)
	if err != nil {
		return fmt.Errorf("keys list: %w", err)
	}
	tw := tabwriter.NewWriter(r.env.Stdout, 0, 0, 2, ' ', 0)
	last := "\x00"
	for _, row := range rows {
		if row.Group != last {
			if last != "\x00" {
				fmt.Fprintln(tw)
			}
			if row.Group == "" {
				fmt.Fprintln(tw, "not in a key group:")
			} else {
				fmt.Fprintf(tw, "key group %s (%s), %d of %d keys:\n", row.Group, row.GroupID, row.GroupSize, aws.MaxKeysPerKeyGroup)
			}
			fmt.Fprintln(tw, "  KEY PAIR ID\tNAME\tCREATED\tFINGERPRINT\tIN USE\tLATEST EXPIRY SIGNED")
			last = row.Group
		}
		use, exp := "", "-"
		if row.Signing {
			use = "signing"
		}
		if !row.LatestExpiry.IsZero() {
			exp = row.LatestExpiry.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", row.ID, row.Name, row.Created.UTC().Format(time.RFC3339), row.Fingerprint, use, exp)
	}
	if len(rows) == 0 {
		fmt.Fprintln(tw, "no CloudFront public keys")
	}
	return tw.Flush()
}

// keyRow is one key of 'keys list'.
type keyRow struct {
	Group, GroupID string
	GroupSize      int
	ID, Name       string
	Created        time.Time
	Fingerprint    string
	Signing        bool
	LatestExpiry   time.Time
}

// keyRows lists every key group's keys, then the keys in no group.
func (r *runner) keyRows(ctx context.Context, t *keysTarget) ([]keyRow, error) {
	groups, err := t.cf.ListKeyGroups(ctx)
	if err != nil {
		return nil, err
	}
	pubs, err := t.cf.ListPublicKeys(ctx)
	if err != nil {
		return nil, err
	}
	expiries, err := r.ledger().All()
	if err != nil {
		return nil, err
	}
	current, _, err := r.currentKey(ctx, t)
	if err != nil {
		return nil, err
	}
	byID := map[string]aws.PublicKeyInfo{}
	for _, k := range pubs {
		byID[k.ID] = k
	}
	row := func(g aws.KeyGroupInfo, id string) keyRow {
		k := byID[id]
		fp := "?"
		if pub, err := keys.ParsePublic([]byte(k.PEM)); err == nil {
			fp, _ = keys.Fingerprint(pub)
		}
		return keyRow{Group: g.Name, GroupID: g.ID, GroupSize: len(g.KeyIDs), ID: id, Name: k.Name, Created: k.Created,
			Fingerprint: fp, Signing: id == current, LatestExpiry: expiries[id]}
	}
	var rows []keyRow
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
