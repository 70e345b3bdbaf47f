package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/app"
)

const signUsage = `Usage: cfsign sign TARGET... --expires WHEN [flags]

Signs CloudFront URLs (or cookies). The signed URL alone goes to stdout, one
a line. TARGET is an http(s) URL, s3://bucket/key (signed for the domain of
the config's [buckets.NAME] section, else the default domain), or a bare
object key (mapped onto --domain). "-" reads targets from stdin, one a line,
and prints the results in the same order, signing in parallel (with a KMS
key, up to 16 requests in flight; throttled requests are retried with backoff).

WHEN is a duration from now (90s, 15m, 1h, 7d, 2w), an ISO 8601 time as
aws cloudfront sign reads it (2026-01-02T15:04:05Z, 2026-01-02T15:04:05+02:00,
or with no zone, which is UTC), YYYY-MM-DD (UTC midnight) or Unix seconds.

Flags:
  --expires WHEN         when access ends (alias --date-less-than; env CFSIGN_EXPIRES,
                         config default_expiry)
  --key-pair-id ID       CloudFront public key ID (env CFSIGN_KEY_PAIR_ID)
  --private-key KEY      private key PEM file (a file:// prefix is accepted), or a key kept
                         in AWS: kms:KEY_ID|alias/NAME|ARN (KMS signs; SHA-256 is chosen),
                         secretsmanager:NAME_OR_ARN[#JSON_FIELD], ssm:/param/path
                         (env CFSIGN_PRIVATE_KEY)
  --domain HOST          CloudFront domain for keys and s3:// targets (env CFSIGN_DOMAIN)
  --origin-path P        the distribution's origin path: key P/x maps to /x (env CFSIGN_ORIGIN_PATH)
  --starts WHEN          access starts (alias --date-greater-than): custom policy
  --ip CIDR              viewer address range, a bare IP is /32 (alias --ip-address): custom policy
  --resource PATTERN     resource with * and ? wildcards, instead of the URL: custom policy
  --shared-policy        sign the --resource policy once and put that one signature on
                         every target (it must match the pattern): thousands of links
                         under one prefix for the cost of one; any of them opens all.
                         With a KMS key that is one KMS call for any number of URLs
  --hash sha1|sha256     signature digest (default sha1, sha256 for KMS keys, which
                         cannot sign SHA-1; env CFSIGN_HASH)
  --cookies              print signed cookies as Set-Cookie: lines instead of a URL;
                         a URL with * (https://HOST/path/*) signs cookies for what
                         the wildcard matches, as --resource would
  --cookie-domain HOST   with --cookies: the cookies' Domain attribute, so your site
                         (app.example.com) can set them for its CDN (cdn.example.com):
                         --cookie-domain example.com
  --json                 one JSON object per target (url or cookies, expires)
  --url URL              a target, as aws cloudfront sign takes it (repeatable)
  --sandbox              sign for the local sandbox's edge and key pair
  -h, --help             show this help

Examples:
  cfsign sign s3://media/video.mp4 --expires 1h
  cfsign sign --url https://d111.cloudfront.net/a.pdf --date-less-than 2026-01-02 \
      --key-pair-id K2JCJMDEHXQW5F --private-key file://private_key.pem
  cfsign ls s3://media/reports/ --recursive | cfsign sign - --expires 7d --domain cdn.example.com
`

type signFlags struct {
	expires, starts, ip, resource, hash string
	// expiresAs and startsAs are the flag names the user typed (an alias
	// or the main name), for errors.
	expiresAs, startsAs   string
	keyPairID, privateKey string
	domain, originPath    string
	cookies, json, shared bool
	cookieDomain          string
	urls                  stringList
}

func runSign(ctx context.Context, r *runner, args []string) error {
	var f signFlags
	fs := newFlagSet("sign")
	r.global.register(fs)
	for _, n := range []string{"expires", "date-less-than"} {
		fs.StringVar(&f.expires, n, "", "")
	}
	for _, n := range []string{"starts", "date-greater-than"} {
		fs.StringVar(&f.starts, n, "", "")
	}
	for _, n := range []string{"ip", "ip-address"} {
		fs.StringVar(&f.ip, n, "", "")
	}
	fs.StringVar(&f.resource, "resource", "", "")
	fs.StringVar(&f.hash, "hash", "", "")
	fs.StringVar(&f.keyPairID, "key-pair-id", "", "")
	fs.StringVar(&f.privateKey, "private-key", "", "")
	fs.StringVar(&f.domain, "domain", "", "")
	fs.StringVar(&f.originPath, "origin-path", "", "")
	fs.BoolVar(&f.cookies, "cookies", false, "")
	fs.StringVar(&f.cookieDomain, "cookie-domain", "", "")
	fs.BoolVar(&f.json, "json", false, "")
	fs.BoolVar(&f.shared, "shared-policy", false, "")
	fs.Var(&f.urls, "url", "")
	pos, err := r.parseArgs(fs, signUsage, args)
	f.expiresAs = typedFlag(fs, "expires", "date-less-than")
	f.startsAs = typedFlag(fs, "starts", "date-greater-than")
	if err != nil {
		return err
	}
	targets := append(append([]string{}, f.urls...), pos...)
	const hint = "Run 'cfsign sign --help' for usage."
	if len(targets) == 0 {
		return usagef(hint, "sign: no TARGET: give a URL, s3://bucket/key, an object key or - for stdin")
	}
	if f.shared && f.resource == "" {
		return usagef(hint, "sign: --shared-policy needs --resource PATTERN (e.g. https://HOST/prefix/*)")
	}
	if f.cookieDomain != "" && !f.cookies {
		return usagef(hint, "sign: --cookie-domain goes with --cookies")
	}
	if f.shared && f.cookies {
		return usagef(hint, "sign: --shared-policy is for URLs; signed cookies already carry one policy for many objects")
	}
	stdin := false
	for _, t := range targets {
		if t == "-" {
			if len(targets) > 1 {
				return usagef(hint, "sign: - (stdin) cannot be mixed with other targets")
			}
			stdin = true
		}
	}
	s, err := newSignSession(ctx, r, f)
	if err != nil {
		return err
	}
	defer s.close()
	defer r.noteSandboxStops()
	if stdin {
		return s.batch(ctx, r.env.Stdin, r.env.Stdout)
	}
	w := bufio.NewWriter(r.env.Stdout)
	var out []string
	// Sign every target before printing any: on an error stdout stays empty.
	for i, t := range targets {
		text, err := s.sign(t, i)
		if err != nil {
			if len(targets) > 1 {
				return fmt.Errorf("sign %s: %w", t, err)
			}
			return fmt.Errorf("sign: %w", err)
		}
		out = append(out, text)
	}
	for _, text := range out {
		w.WriteString(text)
	}
	return w.Flush()
}

// signSession holds what every target of one sign command shares: the
// policy times and the signing setup per bucket.
type signSession struct {
	ctx    context.Context
	r      *runner
	sess   *app.Session
	f      signFlags
	now    time.Time
	policy signedurl.PolicyOptions

	mu      sync.Mutex
	targets map[string]*signTarget // by bucket ("" for the default)
	shared  map[*app.Signer]*signedurl.SharedPolicy
	used    map[*app.Signer]bool
}

// signTarget is the resolved signing setup for one bucket (or the default).
type signTarget struct {
	app.Target
	signer *app.Signer
	err    error
}

func newSignSession(ctx context.Context, r *runner, f signFlags) (*signSession, error) {
	sess, err := r.session()
	if err != nil {
		return nil, err
	}
	for _, fl := range []struct {
		key         app.Key
		name, value string
	}{
		{app.Domain, "--domain", f.domain}, {app.OriginPath, "--origin-path", f.originPath},
		{app.KeyPairID, "--key-pair-id", f.keyPairID}, {app.PrivateKey, "--private-key", f.privateKey},
		{app.Hash, "--hash", f.hash},
	} {
		sess.SetFlag(fl.key, fl.name, fl.value)
	}
	s := &signSession{ctx: ctx, r: r, sess: sess, f: f, now: r.now(),
		targets: map[string]*signTarget{}, used: map[*app.Signer]bool{}}
	base, err := r.settings(ctx, "")
	if err != nil {
		return nil, err
	}
	exp, expFrom := f.expires, "--"+f.expiresAs
	if exp == "" {
		exp, expFrom = base.DefaultExpiry, "default expiry ("+base.Origin(app.DefaultExpiry).Name+")"
	}
	if exp == "" {
		return nil, usagef("Run 'cfsign sign --help' for usage.", "sign: missing --expires WHEN (e.g. --expires 1h), or set %s or default_expiry in config.toml", config.EnvExpires)
	}
	if s.policy.Expires, err = signedurl.ParseWhen(exp, s.now); err != nil {
		return nil, fmt.Errorf("%s: %w", expFrom, err)
	}
	if !s.policy.Expires.After(s.now) {
		return nil, fmt.Errorf("%s %s is in the past (%s): give a time after now", expFrom, exp, s.policy.Expires.UTC().Format(time.RFC3339))
	}
	if f.starts != "" {
		if s.policy.Starts, err = signedurl.ParseWhen(f.starts, s.now); err != nil {
			return nil, fmt.Errorf("--%s: %w", f.startsAs, err)
		}
	}
	s.policy.IP = f.ip
	s.policy.Resource = f.resource
	s.policy.CookieDomain = f.cookieDomain
	return s, nil
}

// close warns when the expiries signed could not be recorded (for 'cfsign
// keys retire'): the URLs are good, but retire will know less.
func (s *signSession) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sg := range s.used {
		if err := sg.LedgerError(); err != nil {
			s.r.warn("%v", err)
		}
	}
}

// remoteKey reports whether KMS signs with the default key, so a batch
// keeps many requests in flight instead of one per core.
func (s *signSession) remoteKey() bool {
	t := s.resolve("")
	return t.err == nil && t.KMS
}

// resolve returns the signing setup for bucket, building it once.
func (s *signSession) resolve(bucket string) *signTarget {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.targets[bucket]; ok {
		return t
	}
	t := &signTarget{}
	t.Target, t.signer, t.err = s.build(bucket)
	s.targets[bucket] = t
	return t
}

// build resolves the settings for bucket (flags > env > [buckets.NAME] >
// file; the sandbox's on --sandbox) and loads the signer. Called with s.mu
// held.
func (s *signSession) build(bucket string) (app.Target, *app.Signer, error) {
	set, err := s.sess.Settings(s.ctx, bucket)
	if err != nil {
		return app.Target{}, nil, err
	}
	t, err := set.Target()
	if err != nil {
		return t, nil, err
	}
	sg, err := s.sess.Signer(s.ctx, t)
	switch {
	case errors.Is(err, app.ErrNoKeyPairID):
		return t, nil, fmt.Errorf("no key pair ID: pass --key-pair-id, set %s or key_pair_id in config.toml ('cfsign keys register' prints one)", config.EnvKeyPairID)
	case errors.Is(err, app.ErrNoPrivateKey):
		return t, nil, fmt.Errorf("no private key: pass --private-key FILE, set %s or private_key in config.toml (or run 'cfsign keys generate')", config.EnvPrivateKey)
	case err != nil:
		return t, nil, err
	}
	if sg.Warning != "" && !s.used[sg] {
		s.r.warn("%s", sg.Warning)
	}
	s.used[sg] = true
	return t, sg, nil
}

// targetURL maps a target to the URL to sign and the signer for it.
func (s *signSession) targetURL(target string) (string, *app.Signer, error) {
	target = strings.TrimSpace(target)
	if rest, ok := strings.CutPrefix(target, "s3://"); ok {
		bucket, key, _ := strings.Cut(rest, "/")
		if bucket == "" || key == "" {
			return "", nil, fmt.Errorf("%q names no object: use s3://bucket/key", target)
		}
		t := s.resolve(bucket)
		if t.err != nil {
			return "", nil, t.err
		}
		u, err := t.ObjectURL(key)
		if errors.Is(err, app.ErrNoDomain) {
			return "", nil, fmt.Errorf("no CloudFront domain for bucket %s: pass --domain, or set domain in [buckets.%s] or at the top of config.toml", bucket, bucket)
		}
		return u, t.signer, err
	}
	t := s.resolve("")
	if t.err != nil {
		return "", nil, t.err
	}
	if strings.Contains(target, "://") {
		return target, t.signer, nil // SignURL refuses other schemes
	}
	u, err := t.ObjectURL(target)
	if errors.Is(err, app.ErrNoDomain) {
		return "", nil, fmt.Errorf("no domain to map key %q onto: pass --domain HOST, set %s or domain in config.toml, or give a full URL", target, config.EnvDomain)
	}
	return u, t.signer, err
}

type signJSON struct {
	Target  string            `json:"target"`
	URL     string            `json:"url,omitempty"`
	Cookies map[string]string `json:"cookies,omitempty"`
	Expires string            `json:"expires"`
}

// sign signs one target and returns its output text (newline-terminated).
// n is the target's index: cookie sets after the first get a blank line.
func (s *signSession) sign(target string, n int) (string, error) {
	u, signer, err := s.targetURL(target)
	if err != nil {
		return "", err
	}
	exp := s.policy.Expires.UTC().Format(time.RFC3339)
	if !s.f.cookies {
		var signed string
		if s.f.shared {
			var sp *signedurl.SharedPolicy
			if sp, err = s.sharedPolicy(signer); err == nil {
				signed, err = sp.Apply(u)
			}
		} else {
			signed, err = signer.SignURL(u, s.policy, s.now)
		}
		if err != nil {
			return "", err
		}
		if s.f.json {
			b, err := json.Marshal(signJSON{Target: target, URL: signed, Expires: exp})
			return string(b) + "\n", err
		}
		return signed + "\n", nil
	}
	cookies, err := signer.SignCookies(u, s.policy, s.now)
	if err != nil {
		return "", err
	}
	if s.f.json {
		m := map[string]string{}
		for _, c := range cookies {
			m[c.Name] = c.Value
		}
		b, err := json.Marshal(signJSON{Target: target, URL: u, Cookies: m, Expires: exp})
		return string(b) + "\n", err
	}
	return cookieLines(cookies, n > 0), nil
}

// sharedPolicy signs the session's policy once per signer (--shared-policy).
func (s *signSession) sharedPolicy(signer *app.Signer) (*signedurl.SharedPolicy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sp, ok := s.shared[signer]; ok {
		return sp, nil
	}
	sp, err := signer.SignShared(s.policy, s.now)
	if err != nil {
		return nil, err
	}
	if s.shared == nil {
		s.shared = map[*app.Signer]*signedurl.SharedPolicy{}
	}
	s.shared[signer] = sp
	return sp, nil
}

func cookieLines(cookies []*http.Cookie, sep bool) string {
	var b strings.Builder
	if sep {
		b.WriteString("\n")
	}
	for _, c := range cookies {
		b.WriteString("Set-Cookie: ")
		b.WriteString(c.String())
		b.WriteString("\n")
	}
	return b.String()
}

// maxLine bounds one stdin line; CloudFront URLs stop at 8,192 bytes anyway.
const maxLine = 1 << 20

// batch signs stdin's targets in parallel and prints results in input order
// as they complete. Memory stays bounded: the reader runs at most a window
// of lines ahead of the writer. The first error stops the batch and names its
// line.
func (s *signSession) batch(ctx context.Context, in io.Reader, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	if s.remoteKey() {
		// KMS signs: the wait is the round trip, not a core.
		workers = aws.MaxKMSInFlight
	}
	type result struct {
		text string
		err  error
	}
	type job struct {
		line   int
		n      int
		target string
		res    chan result
	}
	jobs := make(chan *job, workers*4)
	order := make(chan *job, workers*64)
	var readErr error
	go func() {
		defer close(jobs)
		defer close(order)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), maxLine)
		line, n := 0, 0
		for sc.Scan() {
			line++
			t := strings.TrimSpace(sc.Text())
			j := &job{line: line, n: n, target: t, res: make(chan result, 1)}
			if t == "" {
				// A blank line has nothing to sign: an empty output line
				// keeps the output aligned with the input, line for line.
				j.res <- result{text: "\n"}
			} else {
				n++
			}
			select {
			case order <- j:
			case <-ctx.Done():
				return
			}
			if t == "" {
				continue
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				readErr = fmt.Errorf("stdin line %d: longer than %d bytes", line+1, maxLine)
			} else {
				readErr = fmt.Errorf("read stdin: %w", err)
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				// Select on ctx too: the reader may sit in a blocking read of
				// stdin and never close jobs.
				select {
				case j, ok := <-jobs:
					if !ok {
						return
					}
					text, err := s.sign(j.target, j.n)
					j.res <- result{text, err}
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	defer wg.Wait()
	w := bufio.NewWriterSize(out, 64<<10)
	for {
		var j *job
		select {
		case next, ok := <-order:
			if !ok {
				return finish(w, &readErr)
			}
			j = next
		case <-ctx.Done():
			return ctx.Err()
		}
		var res result
		select {
		case res = <-j.res:
		case <-ctx.Done():
			return ctx.Err()
		}
		if res.err != nil {
			w.Flush()
			cancel()
			return fmt.Errorf("stdin line %d: %w", j.line, res.err)
		}
		if _, err := w.WriteString(res.text); err != nil {
			cancel()
			return fmt.Errorf("write output: %w", err)
		}
		if len(order) == 0 {
			// Caught up with the reader: show what is done (interactive use).
			if err := w.Flush(); err != nil {
				cancel()
				return fmt.Errorf("write output: %w", err)
			}
		}
	}
}

// finish flushes the batch's output and returns the reader's error, set
// before it closed the order channel.
func finish(w *bufio.Writer, readErr *error) error {
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return *readErr
}
