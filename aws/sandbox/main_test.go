package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// asSandbox, set to a data directory, makes the test binary a sandbox
// process on it (see runSandboxProcess): for the tests that kill one.
const asSandbox = "CFSIGN_TEST_AS_SANDBOX"

func TestMain(m *testing.M) {
	if dir := os.Getenv(asSandbox); dir != "" {
		os.Exit(runSandboxProcess(dir))
	}
	os.Exit(m.Run())
}

// runSandboxProcess starts an on-disk sandbox on dir, prints its Info as
// one JSON line, and serves until the process is killed.
func runSandboxProcess(dir string) int {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	sb, err := Start(context.Background(), Options{DataDir: dir, Log: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	json.NewEncoder(os.Stdout).Encode(sb.Info())
	select {}
}
