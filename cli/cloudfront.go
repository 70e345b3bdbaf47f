package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cfsign/cfsign/aws/doctor"
	"github.com/cfsign/cfsign/aws/signedurl"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
)

const distributionsUsage = `Usage: cfsign distributions [--json]
       cfsign distributions create --bucket NAME --key-group GROUP [--origin-path /P] [--yes]

Lists the account's CloudFront distributions: ID, domain and aliases, the S3
buckets (and origin paths) they read, and the key groups each cache behaviour
trusts (by name and ID). A behaviour trusting none serves unsigned requests.

create makes a distribution in front of a bucket that serves only signed
URLs and cookies: an Origin Access Control for the bucket, viewer access
restricted to GROUP (a key group name or ID), and a statement merged into the
bucket's policy that lets only this distribution read (existing statements
are kept). It asks for confirmation on the terminal unless --yes is given,
then prints the new distribution's domain. Deploying takes CloudFront a few
minutes; 'cfsign doctor' tells when links work.

Flags:
  --json        the full list as JSON
  --profile     AWS profile
  -h, --help    show this help

Flags of create:
  --bucket NAME        the bucket it serves (a global flag; also CFSIGN_BUCKET or bucket in config.toml)
  --key-group GROUP    the key group, by name or ID, whose keys sign its URLs and cookies
  --origin-path /P     serve only what is under /P in the bucket
  --yes                do not ask before creating it
`

func runDistributions(ctx context.Context, r *runner, args []string) error {
	if len(args) > 0 && args[0] == "create" {
		return runDistributionsCreate(ctx, r, args[1:])
	}
	var asJSON bool
	fs := newFlagSet("distributions")
	r.global.register(fs)
	fs.BoolVar(&asJSON, "json", false, "")
	pos, err := r.parseArgs(fs, distributionsUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("Run 'cfsign distributions --help' for usage.", "distributions: unexpected argument %q", pos[0])
	}
	cf, err := r.cloudFront(ctx)
	if err != nil {
		return err
	}
	ds, err := cf.ListDistributions(ctx)
	if err != nil {
		return fmt.Errorf("distributions: %w", err)
	}
	if asJSON {
		if ds == nil {
			ds = []aws.Distribution{}
		}
		enc := json.NewEncoder(r.env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ds)
	}
	if len(ds) == 0 {
		fmt.Fprintln(r.env.Stderr, "no distributions")
		return nil
	}
	tw := tabwriter.NewWriter(r.env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDOMAIN\tORIGINS\tTRUSTED KEY GROUPS")
	for _, d := range ds {
		domains := append([]string{d.DomainName}, d.Aliases...)
		var origins []string
		for _, o := range d.Origins {
			name := o.DomainName
			if o.Bucket != "" {
				name = "s3://" + o.Bucket
			}
			origins = append(origins, name+o.OriginPath)
		}
		var groups []string
		for _, b := range d.Behaviors {
			var gs []string
			for _, g := range b.KeyGroups {
				label := g.ID
				if g.Name != "" {
					label = g.Name + " (" + g.ID + ")"
				}
				gs = append(gs, label)
			}
			if len(gs) == 0 {
				gs = []string{"none: unsigned requests allowed"}
			}
			groups = append(groups, b.PathPattern+": "+strings.Join(gs, ", "))
		}
		state := ""
		if !d.Enabled {
			state = " [disabled]"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\n", d.ID, state, sanitize(strings.Join(domains, ", ")),
			sanitize(strings.Join(origins, ", ")), sanitize(strings.Join(groups, "; ")))
	}
	return tw.Flush()
}

const doctorUsage = `Usage: cfsign doctor [s3://bucket/key | URL] [flags]

Checks that signed links work, for scripts and CI. It checks the settings
(key pair ID, private key, domain); given an object or URL it signs a
short-lived link (unless the URL is already signed), requests it (HEAD) and
explains the answer: 200, or the 403 code with its likely cause (key not in a
trusted group, wrong key pair ID, clock skew or expiry, bucket policy or
origin access missing, object missing). With --distribution it also reads
the CloudFront distribution serving the domain and warns when it does not
trust the key or does not serve the bucket.

Exit 0 when everything checked is fine, 1 otherwise.

Flags:
  --expires WHEN        lifetime of the test link (default 5m)
  --key-pair-id ID      as for 'cfsign sign'
  --private-key FILE
  --domain HOST
  --origin-path P
  --hash sha1|sha256
  --distribution        also check the distribution through the CloudFront API
  --sandbox             check against the local sandbox's edge
  -h, --help            show this help
`

func runDoctor(ctx context.Context, r *runner, args []string) error {
	var f signFlags
	var checkDist bool
	fs := newFlagSet("doctor")
	r.global.register(fs)
	fs.StringVar(&f.expires, "expires", "5m", "")
	fs.StringVar(&f.keyPairID, "key-pair-id", "", "")
	fs.StringVar(&f.privateKey, "private-key", "", "")
	fs.StringVar(&f.domain, "domain", "", "")
	fs.StringVar(&f.originPath, "origin-path", "", "")
	fs.StringVar(&f.hash, "hash", "", "")
	fs.BoolVar(&checkDist, "distribution", false, "")
	pos, err := r.parseArgs(fs, doctorUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("Run 'cfsign doctor --help' for usage.", "doctor: want at most one s3://bucket/key or URL")
	}
	w := r.env.Stdout
	failed := false
	okf := func(format string, a ...any) { fmt.Fprintf(w, "ok       %s\n", sanitize(fmt.Sprintf(format, a...))) }
	warnf := func(format string, a ...any) { fmt.Fprintf(w, "warning  %s\n", sanitize(fmt.Sprintf(format, a...))) }
	failf := func(format string, a ...any) {
		failed = true
		fmt.Fprintf(w, "FAIL     %s\n", sanitize(fmt.Sprintf(format, a...)))
	}

	s, err := newSignSession(ctx, r, f)
	if err != nil {
		return err
	}
	defer s.close()
	bucket := ""
	target := ""
	if len(pos) == 1 {
		target = pos[0]
		if b, _, err := parseS3URI(target); err == nil {
			bucket = b
		}
	}
	t := s.resolve(bucket)
	if t.err != nil {
		failf("signing setup: %v", t.err)
	} else {
		okf("key pair ID %s and private key load", t.signer.KeyPairID())
		if t.Domain == "" {
			warnf("no CloudFront domain set: pass --domain, set %s or domain in config.toml", config.EnvDomain)
		} else {
			okf("domain %s", t.Domain)
		}
	}

	if checkDist && t.err == nil && t.Domain != "" {
		cf, err := r.cloudFront(ctx)
		if err != nil {
			warnf("cannot check the distribution: %v", err)
		} else if ds, err := cf.ListDistributions(ctx); err != nil {
			warnf("cannot list distributions: %v", err)
		} else {
			host := hostOf(t.Domain)
			found := false
			for _, d := range ds {
				if !servesHost(d, host) {
					continue
				}
				found = true
				b := bucket
				if b == "" {
					b, _ = r.defaultBucket(ctx)
				}
				warns := aws.CheckDistribution(d, t.signer.KeyPairID(), b)
				for _, msg := range warns {
					failf("%s", msg)
				}
				if len(warns) == 0 {
					okf("distribution %s serves %s and trusts key pair ID %s", d.ID, host, t.signer.KeyPairID())
				}
			}
			if !found {
				warnf("no distribution in this account serves %s", host)
			}
		}
	}

	if target != "" && t.err == nil {
		link := target
		if sp, err := signedurl.ParseSigned(target); err != nil || sp.Signature == "" {
			// Not a signed URL: sign a short-lived one.
			if link, err = s.signOne(target); err != nil {
				failf("sign %s: %v", target, err)
				link = ""
			}
		}
		if link != "" {
			d, err := doctor.Diagnose(ctx, link, doctor.Options{Now: r.now(), Timeout: 10 * time.Second})
			switch {
			case err != nil:
				failf("%v", err)
			case d.OK:
				okf("link answers HTTP %d: %s", d.Status, d.Cause)
			default:
				msg := fmt.Sprintf("link answers HTTP %d", d.Status)
				if d.Status == 0 {
					msg = "no answer"
				}
				if d.Code != "" {
					msg += " " + d.Code
				}
				if d.Source != "" {
					msg += " from " + d.Source
				}
				failf("%s: %s", msg, d.Cause)
				if reason, ok := s.sess.EdgeRefusal(ctx, d.RequestID); ok {
					fmt.Fprintf(w, "         sandbox edge: %s\n", sanitize(reason))
				}
				if d.Fix != "" {
					fmt.Fprintf(w, "         fix: %s\n", sanitize(d.Fix))
				}
			}
			if d.Skew != 0 {
				warnf("server clock differs from this one by %s", d.Skew)
			}
		}
	}
	if failed {
		return &exitError{code: ExitError}
	}
	return nil
}

// signOne signs target as 'cfsign sign' would and returns the bare URL.
func (s *signSession) signOne(target string) (string, error) {
	u, signer, err := s.targetURL(target)
	if err != nil {
		return "", err
	}
	return signer.SignURL(u, s.policy, s.now)
}

func (r *runner) defaultBucket(ctx context.Context) (string, error) {
	s, err := r.settings(ctx, "")
	return s.Bucket, err
}

func hostOf(domain string) string {
	if u, err := url.Parse(domain); err == nil && u.Host != "" {
		return u.Host
	}
	return strings.TrimSuffix(domain, "/")
}

func servesHost(d aws.Distribution, host string) bool {
	if strings.EqualFold(hostOf(d.DomainName), host) {
		return true
	}
	for _, a := range d.Aliases {
		if strings.EqualFold(a, host) {
			return true
		}
	}
	return false
}

func runDistributionsCreate(ctx context.Context, r *runner, args []string) error {
	var group, originPath string
	var yes bool
	fs := newFlagSet("distributions create")
	r.global.register(fs) // --bucket is a global flag
	fs.StringVar(&group, "key-group", "", "")
	fs.StringVar(&originPath, "origin-path", "", "")
	fs.BoolVar(&yes, "yes", false, "")
	pos, err := r.parseArgs(fs, distributionsUsage, args)
	if err != nil {
		return err
	}
	const hint = "Run 'cfsign distributions --help' for usage."
	if len(pos) > 0 {
		return usagef(hint, "distributions create: unexpected argument %q", pos[0])
	}
	s, err := r.settings(ctx, "")
	if err != nil {
		return err
	}
	bucket := s.Bucket // --bucket, CFSIGN_BUCKET or the config file
	if bucket == "" || group == "" {
		return usagef(hint, "distributions create: want --bucket NAME and --key-group GROUP")
	}
	cf, err := r.cloudFront(ctx)
	if err != nil {
		return err
	}
	groups, err := cf.ListKeyGroups(ctx)
	if err != nil {
		return fmt.Errorf("distributions create: %w", err)
	}
	var kg *aws.KeyGroupInfo
	for i := range groups {
		if groups[i].ID == group || groups[i].Name == group {
			kg = &groups[i]
		}
	}
	if kg == nil {
		return fmt.Errorf("distributions create: no key group %q: create one with 'cfsign keys register --key-group %s'", group, group)
	}
	if !yes {
		fmt.Fprintf(r.env.Stderr, "This creates a CloudFront distribution for s3://%s%s that serves only URLs\n"+
			"signed by key group %s (%s), and adds a statement to the bucket's policy letting\n"+
			"only that distribution read it. Continue? [y/N] ", escapeKey(bucket), escapeKey(originPath), escapeKey(kg.Name), kg.ID)
		answer, _ := bufio.NewReader(r.env.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return errors.New("distributions create: nothing created (answer y to go ahead, or pass --yes)")
		}
	}
	d, err := cf.CreateDistribution(ctx, aws.DistributionRequest{Bucket: bucket, KeyGroupID: kg.ID, OriginPath: originPath})
	if err != nil {
		return fmt.Errorf("distributions create: %w", err)
	}
	changed, err := cf.AllowDistributionRead(ctx, bucket, d.ARN)
	if err != nil {
		return fmt.Errorf("distributions create: distribution %s (%s) created, but its bucket policy statement was not added: %w (add it by hand: s3:GetObject for cloudfront.amazonaws.com with AWS:SourceArn %s)", d.ID, d.DomainName, err, d.ARN)
	}
	what := "bucket policy already let it read"
	if changed {
		what = "bucket policy now lets it read"
	}
	fmt.Fprintf(r.env.Stderr, "created distribution %s; %s s3://%s\n", d.ID, what, escapeKey(bucket))
	fmt.Fprintln(r.env.Stdout, d.DomainName)
	return nil
}
