package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// 'cfsign sandbox' took new ports on every start (its address flags
// defaulted to 127.0.0.1:0), so links signed for the edge broke when it
// restarted. Now, with no address flag, it reuses the last start's ports
// and remembers them, as the app's sandbox does; an address flag still wins
// and leaves the remembered port alone.
func TestSandboxCommandReusesPorts(t *testing.T) {
	te := newTestEnv(t)
	first, _, stop := runSandboxCmd(t, te)
	src := filepath.Join(t.TempDir(), "p.txt")
	os.WriteFile(src, []byte("ports\n"), 0o600)
	te.run("--sandbox", "upload", src, "s3://sandbox/ports/").mustOK(t)
	signed := te.run("--sandbox", "sign", "s3://sandbox/ports/p.txt", "--expires", "10m").mustOK(t).stdout
	if !strings.HasPrefix(signed, first.EdgeURL+"/") || status(t, signed) != 200 {
		t.Fatalf("signed on the first start: %q (edge %s)", signed, first.EdgeURL)
	}
	stop()

	second, _, stop := runSandboxCmd(t, te)
	if second.EdgeURL != first.EdgeURL || second.S3Endpoint != first.S3Endpoint || second.CloudFrontEndpoint != first.CloudFrontEndpoint {
		t.Fatalf("ports moved across a restart: edge %s s3 %s cloudfront %s -> edge %s s3 %s cloudfront %s",
			first.EdgeURL, first.S3Endpoint, first.CloudFrontEndpoint, second.EdgeURL, second.S3Endpoint, second.CloudFrontEndpoint)
	}
	if c := status(t, signed); c != 200 {
		t.Errorf("URL signed against the first start, on the second: %d, want 200", c)
	}
	stop()

	// An explicit --addr is used as given, and not remembered.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	explicit := l.Addr().String()
	l.Close()
	third, _, stop := runSandboxCmd(t, te, "--addr", explicit)
	if third.EdgeURL != "http://"+explicit {
		t.Errorf("--addr %s: edge %s", explicit, third.EdgeURL)
	}
	if third.S3Endpoint != first.S3Endpoint {
		t.Errorf("S3 port without --s3-addr moved: %s -> %s", first.S3Endpoint, third.S3Endpoint)
	}
	stop()

	fourth, _, _ := runSandboxCmd(t, te)
	if fourth.EdgeURL != first.EdgeURL {
		t.Errorf("edge after a start with --addr: %s, want the remembered %s back", fourth.EdgeURL, first.EdgeURL)
	}
	if c := status(t, signed); c != 200 {
		t.Errorf("URL signed against the first start, on the fourth: %d, want 200", c)
	}
}
