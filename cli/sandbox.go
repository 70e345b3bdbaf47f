package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/internal/app"

	"github.com/cfsign/cfsign/config"
)

const sandboxUsage = `Usage: cfsign sandbox [--addr HOST:PORT] [--s3-addr HOST:PORT] [--cloudfront-addr HOST:PORT] [--data DIR] [--json]

Runs the local sandbox until SIGINT/SIGTERM: an S3 server (bucket "sandbox"),
a CloudFront-style edge in front of it that serves objects only for valid
signed URLs or cookies (answering refusals with CloudFront's 403 codes and
logging on stderr exactly which check failed), and CloudFront's API for
public keys, key groups and the edge's distribution. The first start creates
the bucket and a key pair in the data directory; later starts reuse them.

The S3 server and the CloudFront API accept only requests signed with the
sandbox's credentials, and every server answers only to its own address.
While it runs, other cfsign commands (--sandbox) and the app use it. When
one is already running on the data directory (an app started it, say), this
prints its settings and keeps it up until Ctrl-C. A sandbox runs on while
any cfsign process uses it: the process that started it hands it to a
background process when it is done, and that one stops when the last user
has gone.

Each refusal of the edge, with the check that failed, goes to the log file
sandbox.log in the data directory (and to stderr here).

With --json the first stdout line is one JSON object: s3_endpoint, edge_url,
cloudfront_endpoint, distribution_id, bucket, region, access_key_id,
secret_access_key, key_pair_id, private_key, public_key, key_status. Other
projects can use this as a local S3 + CloudFront in their CI. The key is the
one cfsign signs with here: the sandbox's own, or the one 'keys rotate
--sandbox' switched to; key_status is "retired" once it was retired
(else "trusted").

Without an address flag, each server listens on 127.0.0.1 at the port it had
on the last start when that port is free (else on a free one), and the ports
used are remembered in DIR, so links signed for the edge keep working across
restarts. An address flag overrides this for its server (port 0: a free one).

Flags:
  --addr HOST:PORT      edge listen address (default: the last port, see above)
  --s3-addr HOST:PORT   S3 listen address (default: the last port)
  --cloudfront-addr HOST:PORT  CloudFront API listen address (default: the last port)
  --cors-origin ORIGIN  let web pages from ORIGIN (e.g. http://localhost:3000) call it; default none
  --allow-host HOST:PORT  also answer to this Host (a reverse proxy's or port mapping's); comma-separated
  --data DIR            data directory (default $XDG_DATA_HOME/cfsign/sandbox)
  --memory              keep objects in memory only (the key pair still lives in DIR)
  --json                print the settings as one JSON line
  -h, --help            show this help
`

func runSandbox(ctx context.Context, r *runner, args []string) error {
	var addr, s3Addr, cfAddr, origin, allow, data string
	var asJSON, memory bool
	fs := newFlagSet("sandbox")
	r.global.register(fs)
	// "" lets the sandbox reuse (and remember) the last start's ports, as
	// the sandbox the app and --sandbox start do.
	fs.StringVar(&addr, "addr", "", "")
	fs.StringVar(&s3Addr, "s3-addr", "", "")
	fs.StringVar(&cfAddr, "cloudfront-addr", "", "")
	fs.StringVar(&origin, "cors-origin", "", "")
	fs.StringVar(&allow, "allow-host", "", "")
	fs.StringVar(&data, "data", "", "")
	fs.BoolVar(&memory, "memory", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	takeOver := fs.Bool("take-over", false, "") // not in the help: see runTakeOver
	pos, err := r.parseArgs(fs, sandboxUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("Run 'cfsign sandbox --help' for usage.", "sandbox: unexpected argument %q", pos[0])
	}
	if *takeOver {
		return runTakeOver(ctx, r)
	}
	if data == "" {
		data = config.SandboxDir(r.env.Getenv)
	}
	sb, err := sandbox.Start(ctx, sandbox.Options{DataDir: data, Memory: memory,
		S3Addr: s3Addr, EdgeAddr: addr, CloudFrontAddr: cfAddr, CORSOrigin: origin, AllowHosts: splitList(allow), Log: r.env.Stderr,
		Successor: r.successor()})
	if errors.Is(err, sandbox.ErrRunning) {
		// Use the one running, unless a flag asks for what it is not.
		for _, f := range []struct {
			name string
			set  bool
		}{{"--addr", addr != ""}, {"--s3-addr", s3Addr != ""}, {"--cloudfront-addr", cfAddr != ""},
			{"--cors-origin", origin != ""}, {"--allow-host", allow != ""}, {"--memory", memory}} {
			if f.set {
				return fmt.Errorf("sandbox: %w; %s applies only to a sandbox this command starts: stop that one first, or leave %s out to use it", err, f.name, f.name)
			}
		}
		sb, err = sandbox.Open(ctx, sandbox.Options{DataDir: data})
	}
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer sb.Close()
	// The session works on this sandbox, started here.
	r.env.Sandbox = func(context.Context) (*sandbox.Sandbox, func(), error) { return sb, func() {}, nil }
	r.useSandbox = true
	sess, err := r.session()
	if err != nil {
		return err
	}
	info, err := sess.SandboxInfo(ctx)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if info.KeyStatus == sandbox.KeyRetired {
		fmt.Fprintf(r.env.Stderr, "cfsign sandbox: warning: key pair ID %s is retired: distribution %s no longer trusts it, so URLs signed with it get 403; make a new key with 'cfsign --sandbox keys rotate --key-group %s'\n",
			info.KeyPairID, info.DistributionID, sandboxGroupName)
	}
	if asJSON {
		line, err := json.Marshal(info)
		if err != nil {
			return err
		}
		fmt.Fprintf(r.env.Stdout, "%s\n", line)
	} else {
		printSandbox(r.env.Stdout, info, sb.SharedPID)
	}
	if f, ok := r.env.Stdout.(interface{ Sync() error }); ok {
		f.Sync()
	}
	if sb.SharedPID != 0 {
		fmt.Fprintf(r.env.Stderr, "cfsign sandbox: already running (pid %d): its settings are above; this command keeps it up until Ctrl-C\n", sb.SharedPID)
	}
	<-ctx.Done()
	if err := sb.Close(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	switch {
	case sb.SharedPID != 0:
		fmt.Fprintf(r.env.Stderr, "cfsign sandbox: done; pid %d runs it on\n", sb.SharedPID)
	case sb.HandedTo != 0:
		fmt.Fprintf(r.env.Stderr, "cfsign sandbox: %s still use it: it runs on in the background (pid %d) until the last is done\n",
			app.CountOf(sb.HandedFor, "other cfsign process", "other cfsign processes"), sb.HandedTo)
	default:
		fmt.Fprintln(r.env.Stderr, "cfsign sandbox: stopped")
	}
	return nil
}

// runTakeOver runs a sandbox handed over by the process that ran it (see
// sandbox.TakeOver), until nobody uses it or a signal stops it. The
// process runs detached from any terminal: what it has to say goes to the
// sandbox's log.
func runTakeOver(ctx context.Context, r *runner) error {
	sb, err := sandbox.TakeOver(ctx, r.env.Getenv)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	sb.WaitUnused(ctx)
	return sb.Close()
}

// noteSandboxStops says, after a command printed links to the sandbox,
// when it started that sandbox itself and nobody else uses it: it stops
// as the command exits, so the links answer only once a sandbox runs again
// (on the same ports, with the same key).
func (r *runner) noteSandboxStops() {
	if r.sess != nil && r.sess.SandboxStopsWithUs() {
		fmt.Fprintln(r.env.Stderr, "cfsign: note: no sandbox is running (this command started one, which stops as it exits): the link opens once one runs; start it with 'cfsign sandbox' or the app")
	}
}

// sandboxGroupName is the key group a fresh sandbox trusts.
const sandboxGroupName = "cfsign-sandbox"

func printSandbox(w io.Writer, sb sandbox.Info, sharedPID int) {
	head := "cfsign sandbox: local S3 and a CloudFront-style edge (Ctrl-C stops it)"
	if sharedPID != 0 {
		head = fmt.Sprintf("cfsign sandbox: local S3 and a CloudFront-style edge, run by pid %d", sharedPID)
	}
	fmt.Fprintf(w, `%s

  S3 endpoint   %s
  edge URL      %s
  CloudFront    %s (distribution %s)
  bucket        %s
  region        %s
  key pair ID   %s
  private key   %s
  public key    %s
  log           %s

For the AWS CLI and SDKs:
  export AWS_ENDPOINT_URL_S3=%s
  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  export AWS_ENDPOINT_URL_CLOUDFRONT=%s
  export AWS_REGION=%s

For cfsign in another shell (or use cfsign --sandbox):
  export CFSIGN_ENDPOINT_URL=%s
  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  export AWS_REGION=%s
  export CFSIGN_DOMAIN=%s
  export CFSIGN_KEY_PAIR_ID=%s
  export CFSIGN_PRIVATE_KEY=%s

Try:
  aws s3 cp README.md s3://%s/README.md
  curl -i "$(cfsign sign s3://%s/README.md --expires 10m)"
`, head, sb.S3Endpoint, sb.EdgeURL, sb.CloudFrontEndpoint, sb.DistributionID, sb.Bucket, sb.Region, sb.KeyPairID, sb.PrivateKey, sb.PublicKey, sb.LogFile,
		sb.S3Endpoint, sb.AccessKeyID, sb.SecretAccessKey, sb.CloudFrontEndpoint, sb.Region,
		sb.S3Endpoint, sb.AccessKeyID, sb.SecretAccessKey, sb.Region, sb.EdgeURL, sb.KeyPairID, sb.PrivateKey,
		sb.Bucket, sb.Bucket)
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
