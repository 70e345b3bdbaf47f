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
	if os.Getenv(takeOverEnv) != "" {
		os.Exit(runSuccessor())
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

// runSuccessor takes a sandbox over, as `cfsign sandbox` does when a
// sandbox is handed to it, and runs it until nobody uses it.
func runSuccessor() int {
	sb, err := TakeOver(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sb.WaitUnused(context.Background())
	if err := sb.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
