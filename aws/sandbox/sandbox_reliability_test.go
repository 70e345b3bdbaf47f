package sandbox

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestReliabilitySandboxLoopbackOnly: by default the sandbox's S3 server and
// edge listen on 127.0.0.1 only. Nothing is logged about listening beyond
// the machine, and where the machine has another address the ports do not
// answer on it.
func TestReliabilitySandboxLoopbackOnly(t *testing.T) {
	log := &sbLog{}
	sb, err := Start(context.Background(), Options{DataDir: t.TempDir(), Memory: true, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if strings.Contains(log.String(), "listens on") {
		t.Errorf("default sandbox warns about its address: %q", log.String())
	}
	var ports []string
	for _, u := range []string{sb.S3Endpoint, sb.EdgeURL} {
		pu, err := url.Parse(u)
		if err != nil || pu.Hostname() != "127.0.0.1" {
			t.Fatalf("%s is not on 127.0.0.1", u)
		}
		c, err := net.DialTimeout("tcp", pu.Host, 2*time.Second)
		if err != nil {
			t.Fatalf("dial %s: %v", pu.Host, err)
		}
		c.Close()
		ports = append(ports, pu.Port())
	}
	addrs, _ := net.InterfaceAddrs()
	tried := 0
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.To4() == nil || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		for _, p := range ports {
			tried++
			// A local address: the kernel answers at once, refused or not.
			if c, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), p), 2*time.Second); err == nil {
				c.Close()
				t.Errorf("the sandbox answers on %s:%s", ipn.IP, p)
			}
		}
	}
	if tried == 0 {
		t.Log("no non-loopback IPv4 address on this machine: only the listen addresses were checked")
	}
}
