package cli

import (
	"context"
	"crypto"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"

	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/keys"
)

const verifyUsage = `Usage: cfsign verify URL [--public-key FILE]... [--at WHEN] [--ip ADDR]

Checks a signed URL the way CloudFront does: prints the decoded policy and the
expiry in UTC and local time, then VALID, or INVALID with the failing check and
the error CloudFront would answer. Exit 0 when valid, 1 when not.

Flags:
  --public-key FILE   public (or private) key PEM to check against; repeatable.
                      Default: the public half of the configured private key;
                      with --sandbox, the public key the sandbox's CloudFront
                      holds for the URL's Key-Pair-Id (rotated keys too).
  --at WHEN           check at this time instead of now (see 'cfsign sign --help')
  --ip ADDR           the viewer's IP address, for policies with an IpAddress
  --private-key FILE  the private key whose public half to use (env CFSIGN_PRIVATE_KEY)
  -h, --help          show this help
`

func runVerify(ctx context.Context, r *runner, args []string) error {
	var pubs stringList
	var at, ip, priv string
	fs := newFlagSet("verify")
	r.global.register(fs)
	fs.Var(&pubs, "public-key", "")
	fs.StringVar(&at, "at", "", "")
	fs.StringVar(&ip, "ip", "", "")
	fs.StringVar(&priv, "private-key", "", "")
	pos, err := r.parseArgs(fs, verifyUsage, args)
	if err != nil {
		return err
	}
	const hint = "Run 'cfsign verify --help' for usage."
	if len(pos) != 1 {
		return usagef(hint, "verify: want exactly one URL, got %d arguments", len(pos))
	}
	rawURL := pos[0]
	now := r.now()
	req := signedurl.VerifyRequest{URL: rawURL, At: now}
	if at != "" {
		if req.At, err = signedurl.ParseWhen(at, now); err != nil {
			return fmt.Errorf("--at: %w", err)
		}
	}
	if ip != "" {
		if req.ClientIP, err = netip.ParseAddr(ip); err != nil {
			return usagef(hint, "verify: --ip %q is not an IP address (e.g. 203.0.113.7)", ip)
		}
	}
	sp, _ := signedurl.ParseSigned(rawURL)
	vk, err := r.verifyKeys(ctx, pubs, priv, sp.KeyPairID)
	if err != nil {
		return err
	}
	if vk.note != "" {
		fmt.Fprintf(r.env.Stderr, "note: %s\n", r.clean(vk.note))
	}
	var v signedurl.Verdict
	for i, pub := range vk.keys {
		got := signedurl.Verify(req, signedurl.PublicKeys{vk.id: pub})
		if i == 0 || got.OK || (v.Check == signedurl.CheckBadSignature && got.Check != signedurl.CheckBadSignature) {
			v = got
		}
		if got.OK {
			break
		}
	}
	printVerdict(r.env.Stdout, v, req.At)
	if !v.OK {
		return &exitError{code: ExitError}
	}
	return nil
}

// verifyingKeys are the public keys verify checks with, and the key pair
// ID they are registered under: the URL is checked against the key it
// names, as CloudFront looks it up, or note says why that cannot be known.
type verifyingKeys struct {
	id   string
	keys []crypto.PublicKey
	note string
}

// verifyKeys loads the keys to verify a URL naming keyPairID with: with
// --sandbox (and no key given), the key the sandbox's CloudFront holds for
// that ID, as its edge looks it up; else the configured private key's
// public half, registered under the configured key pair ID (a URL naming
// another ID fails, as at CloudFront); --public-key FILEs are taken as the
// URL's ID's, which cfsign cannot check, and says so.
func (r *runner) verifyKeys(ctx context.Context, files []string, priv, keyPairID string) (verifyingKeys, error) {
	if len(files) > 0 {
		vk := verifyingKeys{id: keyPairID,
			note: fmt.Sprintf("the --public-key keys are taken as those of key pair ID %s, which the URL names: cfsign cannot check which ID they are registered under", keyPairID)}
		for _, f := range files {
			pub, err := loadAnyPublic(ctx, r, f, "--public-key")
			if err != nil {
				return vk, err
			}
			vk.keys = append(vk.keys, pub)
		}
		return vk, nil
	}
	if r.global.sandbox && priv == "" && keyPairID != "" {
		pub, err := r.sandboxPublicKey(ctx, keyPairID)
		if err != nil {
			return verifyingKeys{}, err
		}
		return verifyingKeys{id: keyPairID, keys: []crypto.PublicKey{pub}}, nil
	}
	set, err := r.settings(ctx, "")
	if err != nil {
		return verifyingKeys{}, err
	}
	value, from, err := r.keySetting(ctx, priv, "--private-key", "")
	if err != nil {
		return verifyingKeys{}, err
	}
	if value == "" {
		return verifyingKeys{}, fmt.Errorf("no key to verify with: pass --public-key FILE, or set %s or private_key in config.toml", config.EnvPrivateKey)
	}
	pub, err := loadAnyPublic(ctx, r, value, from)
	if err != nil {
		return verifyingKeys{}, err
	}
	vk := verifyingKeys{id: set.KeyPairID, keys: []crypto.PublicKey{pub}}
	if vk.id == "" {
		vk.id = keyPairID
		vk.note = fmt.Sprintf("no key pair ID is set for the key checked with, so it is taken as that of %s, which the URL names", keyPairID)
	}
	return vk, nil
}

// loadAnyPublic reads a public key PEM, or the public half of a private one,
// from a key setting: a file, key text (named by from, never shown), or a
// key kept in AWS (KMS gives its public key; secrets are read into memory).
func loadAnyPublic(ctx context.Context, r *runner, value, from string) (crypto.PublicKey, error) {
	if src, err := keys.ParseSource(value); err != nil || src.Remote() {
		key, err := r.loadSigner(ctx, value, from)
		if err != nil {
			return nil, err
		}
		return key.Public(), nil
	}
	path, ok := keys.SettingFile(value)
	if !ok {
		key, _, err := keys.LoadPrivateSetting(value, from)
		if err != nil {
			return nil, err
		}
		return key.Public(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", path, err)
	}
	if strings.Contains(string(data), "PRIVATE KEY-----") {
		key, warning, err := keys.LoadPrivate(path)
		if err != nil {
			return nil, err
		}
		if warning != "" {
			r.warn("%s", warning)
		}
		return key.Public(), nil
	}
	pub, err := keys.ParsePublic(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pub, nil
}

func printVerdict(w io.Writer, v signedurl.Verdict, at time.Time) {
	kind := "custom"
	if v.Canned {
		kind = "canned"
	}
	if v.KeyPairID != "" {
		fmt.Fprintf(w, "key pair ID: %s\n", sanitize(v.KeyPairID))
	}
	if v.Policy != "" {
		hash := v.Hash
		if hash == "" {
			hash = signedurl.SHA1
		}
		fmt.Fprintf(w, "hash:        %s\n", strings.ToUpper(string(hash)))
		fmt.Fprintf(w, "policy:      %s\n", kind)
		fmt.Fprintf(w, "%s\n", sanitize(v.Policy))
		if v.Resource != "" {
			fmt.Fprintf(w, "resource:    %s\n", sanitize(v.Resource))
		}
		if !v.Starts.IsZero() {
			fmt.Fprintf(w, "starts:      %s\n", bothZones(v.Starts))
		}
		if !v.Expires.IsZero() {
			rel := v.Expires.Sub(at).Round(time.Second)
			when := "in " + rel.String()
			if rel <= 0 {
				when = (-rel).String() + " ago"
			}
			fmt.Fprintf(w, "expires:     %s (%s)\n", bothZones(v.Expires), when)
		}
		if v.IP != "" {
			fmt.Fprintf(w, "ip:          %s\n", sanitize(v.IP))
		}
	}
	if v.OK {
		fmt.Fprintln(w, "VALID")
		return
	}
	fmt.Fprintf(w, "INVALID: %s: %s (CloudFront answers 403 %s: %s)\n",
		v.Check, sanitize(v.Detail), v.Code, v.Message)
}

func bothZones(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05 MST") + " / " + t.Local().Format("2006-01-02 15:04:05 MST")
}

// sandboxPublicKey is the public key registered as id with the sandbox's
// CloudFront API.
func (r *runner) sandboxPublicKey(ctx context.Context, id string) (crypto.PublicKey, error) {
	cf, err := r.cloudFront(ctx)
	if err != nil {
		return nil, err
	}
	list, err := cf.ListPublicKeys(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range list {
		if k.ID == id {
			pub, err := keys.ParsePublic([]byte(k.PEM))
			if err != nil {
				return nil, fmt.Errorf("the sandbox's public key %s: %w", id, err)
			}
			return pub, nil
		}
	}
	return nil, fmt.Errorf("key pair ID %s is not registered with the sandbox's CloudFront ('cfsign --sandbox keys list' shows those that are)", id)
}
