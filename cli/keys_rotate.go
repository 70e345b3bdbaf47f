package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/app"
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
	t, err := keys.ParseType(typ)
	if err != nil {
		return usagef(hint, "keys create: %v", err)
	}
	kt := app.KMSKeyType(t)
	sess, err := r.session()
	if err != nil {
		return err
	}
	k, err := aws.CreateKMSKey(ctx, kt, alias, "cfsign CloudFront signing key", sess.KeySourceOptions())
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	cf, err := r.cloudFront(ctx)
	if err != nil {
		return fmt.Errorf("keys create: KMS key %s created, but: %w", k.ARN(), err)
	}
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

// currentKey is the key pair ID cfsign signs with.
func (r *runner) currentKey(ctx context.Context) (string, error) {
	s, err := r.settings(ctx, "")
	return s.KeyPairID, err
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
	kt, err := keys.ParseType(typ)
	if err != nil {
		return usagef(hint, "keys rotate: %v", err)
	}
	sess, err := r.session()
	if err != nil {
		return err
	}
	rot, err := sess.Rotate(ctx, app.RotateRequest{Group: group, KMS: useKMS, Alias: alias, Type: kt, Dir: dir, Name: name})
	if err != nil {
		return fmt.Errorf("keys rotate: %w", err)
	}
	e := r.env.Stderr
	if rot.KMSARN != "" {
		fmt.Fprintf(e, "kms key:     %s\n", rot.KMSARN)
	} else {
		fmt.Fprintf(e, "private key: %s\n", rot.Pair.PrivatePath)
	}
	fmt.Fprintf(e, "fingerprint: %s\n", rot.Fingerprint)
	fmt.Fprintf(e, "key group %s now holds %d of %d keys; cfsign signs with %s\n", rot.Group.Name, len(rot.Group.KeyIDs), aws.MaxKeysPerKeyGroup, rot.NewID)
	for _, b := range rot.Sections {
		fmt.Fprintf(e, "[buckets.%s] signs with %s too (it used %s)\n", b, rot.NewID, rot.OldID)
	}
	for _, v := range rot.Overridden {
		r.warn("%s is set and overrides %s: update it to sign with the new key", v, sess.ConfigPath())
	}
	if rot.OldID != "" && rot.OldID != rot.NewID {
		msg := "links signed with it keep working"
		if rot.OldExpiry.After(r.now()) {
			msg = "the last links signed with it expire " + rot.OldExpiry.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(e, "old key %s stays trusted (%s); retire it later with: cfsign keys retire %s\n", rot.OldID, msg, rot.OldID)
	}
	fmt.Fprintln(r.env.Stdout, rot.NewID)
	return nil
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
	sess, err := r.session()
	if err != nil {
		return err
	}
	cf, err := sess.CloudFront(ctx)
	if err != nil {
		return err
	}
	current, err := r.currentKey(ctx)
	if err != nil {
		return err
	}
	if id == current {
		return fmt.Errorf("keys retire: %s is the key cfsign signs with: run 'cfsign keys rotate' first", id)
	}
	exp, known, err := sess.Ledger().LatestExpiry(id)
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
		fmt.Fprintf(r.env.Stderr, "note: cfsign has no record of signing with %s here (%s); links signed elsewhere may still be valid\n", id, sess.Ledger().Path())
	}
	var groups []aws.KeyGroupInfo
	if group != "" {
		g, err := cf.FindKeyGroup(ctx, group)
		if err != nil {
			return fmt.Errorf("keys retire: %w", err)
		}
		groups = append(groups, g)
	} else if groups, err = cf.GroupsWithKey(ctx, id); err != nil {
		return fmt.Errorf("keys retire: %w", err)
	}
	if len(groups) == 0 && !del {
		return fmt.Errorf("keys retire: %s is in no key group (pass --delete to delete the public key)", id)
	}
	for _, g := range groups {
		after, changed, err := cf.RemoveKeyFromGroup(ctx, g.ID, id)
		if err != nil {
			return fmt.Errorf("keys retire: %w", err)
		}
		if !changed {
			fmt.Fprintf(r.env.Stderr, "%s was not in key group %s\n", id, g.Name)
			continue
		}
		fmt.Fprintf(r.env.Stderr, "removed %s from key group %s (%s left)\n", id, after.Name, app.Count(len(after.KeyIDs), "key"))
	}
	if del {
		if err := cf.DeletePublicKey(ctx, id); err != nil {
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
	sess, err := r.session()
	if err != nil {
		return err
	}
	rows, err := sess.KeyRows(ctx)
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
