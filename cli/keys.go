package cli

import (
	"context"
	"crypto"
	"errors"
	"fmt"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/keys"
)

const keysUsage = `Usage: cfsign keys COMMAND [flags]

Commands:
  generate   make a new key pair (RSA-2048 or ECDSA P-256)
  show       print a key's public PEM and fingerprint, for the CloudFront console
  register   upload the public key to CloudFront (and add it to a key group)
  create     make a signing key in AWS KMS and register it (--kms)
  rotate     make a new key, add it to the key group and sign with it
  retire     take an old key out of the key group (and delete it)
  list       show key groups and their keys

Run 'cfsign keys COMMAND --help' for a command's flags.
`

const keysGenerateUsage = `Usage: cfsign keys generate [--dir DIR] [--type rsa|ecdsa] [--force]

Makes a key pair and writes private_key.pem (0600) and public_key.pem into DIR
(created 0700). RSA private keys are PKCS#1, as AWS CLI v1 and most SDKs need;
ECDSA keys are PKCS#8. Prints both paths and the fingerprint (SHA-256 of the
DER public key, base64, as ssh-keygen shows them).

Flags:
  --dir DIR             where to write (default $XDG_CONFIG_HOME/cfsign/keys)
  --type rsa|ecdsa      RSA-2048 (default) or ECDSA P-256
  --force               replace existing key files
  -h, --help            show this help
`

const keysShowUsage = `Usage: cfsign keys show [KEY_FILE]

Prints the public key PEM (what CloudFront's "Create public key" takes) and
its fingerprint. KEY_FILE is a private or public key PEM; default: the
configured private key (env CFSIGN_PRIVATE_KEY, config private_key), else
$XDG_CONFIG_HOME/cfsign/keys/private_key.pem.

Flags:
  -h, --help   show this help
`

const keysRegisterUsage = `Usage: cfsign keys register [--private-key FILE | --public-key FILE] [--name NAME] [--key-group GROUP]

Uploads the public key to CloudFront (CreatePublicKey) and prints its ID, the
key pair ID signed URLs carry. A key already registered gives its existing ID.
With --key-group the key is added to GROUP, which is created if missing.

Flags:
  --private-key FILE   the private key whose public half to register (default: configured)
  --public-key FILE    a public key PEM to register instead
  --name NAME          name of the public key in CloudFront (default cfsign-FINGERPRINT)
  --key-group GROUP    key group to add the key to (created if missing)
  --profile NAME       AWS profile
  -h, --help           show this help
`

func runKeys(ctx context.Context, r *runner, args []string) error {
	if len(args) == 0 {
		return usagef("Run 'cfsign keys --help' for usage.", "keys: missing command: generate, show, register, create, rotate, retire or list")
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		fmt.Fprint(r.env.Stdout, keysUsage)
		return nil
	case "generate":
		return runKeysGenerate(r, args[1:])
	case "show":
		return runKeysShow(ctx, r, args[1:])
	case "register":
		return runKeysRegister(ctx, r, args[1:])
	case "create":
		return runKeysCreate(ctx, r, args[1:])
	case "rotate":
		return runKeysRotate(ctx, r, args[1:])
	case "retire":
		return runKeysRetire(ctx, r, args[1:])
	case "list":
		return runKeysList(ctx, r, args[1:])
	}
	return usagef("Run 'cfsign keys --help' for usage.", "keys: unknown command %q: use generate, show, register, create, rotate, retire or list", args[0])
}

func runKeysGenerate(r *runner, args []string) error {
	var dir, typ string
	var force bool
	fs := newFlagSet("keys generate")
	r.global.register(fs)
	fs.StringVar(&dir, "dir", "", "")
	fs.StringVar(&typ, "type", "rsa", "")
	fs.BoolVar(&force, "force", false, "")
	pos, err := r.parseArgs(fs, keysGenerateUsage, args)
	if err != nil {
		return err
	}
	const hint = "Run 'cfsign keys generate --help' for usage."
	if len(pos) > 0 {
		return usagef(hint, "keys generate: unexpected argument %q (use --dir DIR)", pos[0])
	}
	t, err := keys.ParseType(typ)
	if err != nil {
		return usagef(hint, "keys generate: %v", err)
	}
	if dir == "" {
		dir = config.KeyDir(r.env.Getenv)
	}
	pair, err := keys.GenerateFiles(dir, t, force)
	if err != nil {
		if errors.Is(err, keys.ErrExists) {
			return fmt.Errorf("keys generate: %w (pass --force to replace the key pair, or --dir for another directory)", err)
		}
		return fmt.Errorf("keys generate: %w", err)
	}
	w := r.env.Stdout
	fmt.Fprintf(w, "private key: %s\n", pair.PrivatePath)
	fmt.Fprintf(w, "public key:  %s\n", pair.PublicPath)
	fmt.Fprintf(w, "fingerprint: %s\n", pair.Fingerprint)
	fmt.Fprintf(w, "type:        %s\n", typeLabel(pair.Type))
	fmt.Fprintln(r.env.Stderr, "Next: 'cfsign keys register' uploads the public key to CloudFront and prints the key pair ID.")
	return nil
}

func typeLabel(t keys.Type) string {
	if t == keys.ECDSA {
		return "ECDSA P-256"
	}
	return "RSA-2048"
}

func runKeysShow(ctx context.Context, r *runner, args []string) error {
	fs := newFlagSet("keys show")
	r.global.register(fs)
	var priv string
	fs.StringVar(&priv, "private-key", "", "")
	pos, err := r.parseArgs(fs, keysShowUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("Run 'cfsign keys show --help' for usage.", "keys show: want at most one key file, got %d", len(pos))
	}
	value, from := priv, "--private-key"
	if len(pos) == 1 {
		value, from = pos[0], "the KEY_FILE argument"
	}
	value, from, err = r.defaultPrivateKey(ctx, value, from)
	if err != nil {
		return err
	}
	pub, err := loadAnyPublic(ctx, r, value, from)
	if err != nil {
		return fmt.Errorf("keys show: %w", err)
	}
	pemBytes, err := keys.PublicPEM(pub)
	if err != nil {
		return fmt.Errorf("keys show: %w", err)
	}
	fp, err := keys.Fingerprint(pub)
	if err != nil {
		return fmt.Errorf("keys show: %w", err)
	}
	r.env.Stdout.Write(pemBytes)
	fmt.Fprintf(r.env.Stdout, "fingerprint: %s\n", fp)
	return nil
}

// keySetting returns the private key setting for bucket ("" for the
// default) and where it came from, for messages that must name the source
// rather than a value that may be key text: the flag, then
// CFSIGN_PRIVATE_KEY, then the config file's [buckets.NAME] section and top
// level, then the default key file (on --sandbox, the sandbox's key). It
// returns "" when none is set.
func (r *runner) keySetting(ctx context.Context, flagValue, flagName, bucket string) (value, from string, err error) {
	sess, err := r.session()
	if err != nil {
		return "", "", err
	}
	sess.SetFlag(app.PrivateKey, flagName, flagValue)
	s, err := sess.Settings(ctx, bucket)
	if err != nil {
		return "", "", err
	}
	return s.PrivateKey, s.Origin(app.PrivateKey).Name, nil
}

// defaultPrivateKey returns the key setting given (a positional argument
// or --private-key), else the configured one, with where it came from.
func (r *runner) defaultPrivateKey(ctx context.Context, value, from string) (string, string, error) {
	value, from, err := r.keySetting(ctx, value, from, "")
	if err != nil {
		return "", "", err
	}
	if value == "" {
		return "", "", fmt.Errorf("no key file: give one, set %s or private_key in config.toml, or run 'cfsign keys generate'", config.EnvPrivateKey)
	}
	return value, from, nil
}

func runKeysRegister(ctx context.Context, r *runner, args []string) error {
	var priv, pubFile, name, group string
	fs := newFlagSet("keys register")
	r.global.register(fs)
	fs.StringVar(&priv, "private-key", "", "")
	fs.StringVar(&pubFile, "public-key", "", "")
	fs.StringVar(&name, "name", "", "")
	fs.StringVar(&group, "key-group", "", "")
	pos, err := r.parseArgs(fs, keysRegisterUsage, args)
	if err != nil {
		return err
	}
	const hint = "Run 'cfsign keys register --help' for usage."
	if len(pos) > 0 {
		return usagef(hint, "keys register: unexpected argument %q", pos[0])
	}
	if priv != "" && pubFile != "" {
		return usagef(hint, "keys register: give --private-key or --public-key, not both")
	}
	value, from := pubFile, "--public-key"
	if value == "" {
		if value, from, err = r.defaultPrivateKey(ctx, priv, "--private-key"); err != nil {
			return err
		}
	}
	pub, err := loadAnyPublic(ctx, r, value, from)
	if err != nil {
		return fmt.Errorf("keys register: %w", err)
	}
	cf, err := r.cloudFront(ctx)
	if err != nil {
		return err
	}
	id, err := r.registerKey(ctx, cf, pub, name, group)
	if err != nil {
		return fmt.Errorf("keys register: %w", err)
	}
	fmt.Fprintln(r.env.Stdout, id)
	return nil
}

// registerKey uploads pub to CloudFront under name (default
// cfsign-HASH) and, with group (a name or an ID), adds it to that key
// group (made if missing). It returns the key pair ID; what it did goes to
// stderr.
func (r *runner) registerKey(ctx context.Context, cf app.KeyGroups, pub crypto.PublicKey, name, group string) (string, error) {
	reg, err := app.Register(ctx, cf, pub, name, group)
	if err != nil {
		return "", err
	}
	if reg.Existed {
		fmt.Fprintf(r.env.Stderr, "already registered: public key %s\n", reg.ID)
	}
	if group != "" {
		verb := "added to"
		if reg.GroupCreated {
			verb = "created key group"
		}
		fmt.Fprintf(r.env.Stderr, "%s %s (%s)\n", verb, reg.Group.Name, reg.Group.ID)
	}
	return reg.ID, nil
}

// cloudFront is the session's CloudFront client: the sandbox's CloudFront
// API with --sandbox, else from the settings (the endpoint override is
// CFSIGN_CLOUDFRONT_ENDPOINT_URL, for moto in tests). The session stops
// what it started.
func (r *runner) cloudFront(ctx context.Context) (*aws.CloudFront, error) {
	sess, err := r.session()
	if err != nil {
		return nil, err
	}
	return sess.CloudFront(ctx)
}
