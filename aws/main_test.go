package aws

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// Tests talk to loopback only: never let the SDK probe EC2 metadata, and
	// never read the developer's own AWS profile.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("AWS_CONFIG_FILE", os.DevNull)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	os.Unsetenv("AWS_PROFILE")
	code := m.Run()
	stopMoto()
	os.Exit(code)
}

var (
	motoOnce sync.Once
	motoURL  string
	motoErr  error
	motoCmd  *exec.Cmd
)

// motoEndpoint returns the URL of a moto server on loopback: the one .ci/run
// started (CFSIGN_MOTO_URL) or one started here for this test binary. Under CI
// a missing moto fails the test; elsewhere it skips.
func motoEndpoint(t testing.TB) string {
	t.Helper()
	motoOnce.Do(func() {
		if u := os.Getenv("CFSIGN_MOTO_URL"); u != "" {
			motoURL = u
			return
		}
		motoURL, motoErr = startMoto()
	})
	if motoErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("moto server: %v", motoErr)
		}
		t.Skipf("moto server unavailable: %v", motoErr)
	}
	return motoURL
}

func startMoto() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		return "", err
	}
	motoCmd = cmd
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("moto did not answer on %s within 30s", url)
}

func stopMoto() {
	if motoCmd != nil && motoCmd.Process != nil {
		motoCmd.Process.Kill()
		motoCmd.Wait()
	}
}
