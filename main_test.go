package main

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// asCfsign makes the test binary run as cfsign itself (see TestMain).
const asCfsign = "CFSIGN_TEST_AS_CFSIGN"

func TestMain(m *testing.M) {
	if os.Getenv(asCfsign) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// packageInits runs cfsign --help and returns its package inits in order.
// packageInit is one package's initialisation, as GODEBUG=inittrace=1
// reports it.
type packageInit struct {
	pkg   string
	bytes int // allocated
}

func packageInits(t *testing.T) []packageInit {
	t.Helper()
	cmd := exec.Command(os.Args[0], "--help")
	cmd.Env = append(os.Environ(), asCfsign+"=1", "GODEBUG=inittrace=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var inits []packageInit
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		// init PKG @0.1 ms, 0.01 ms clock, 120 bytes, 2 allocs
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		n, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("inittrace line %q: %v", sc.Text(), err)
		}
		inits = append(inits, packageInit{pkg: f[1], bytes: n})
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(inits) == 0 {
		t.Fatal("no inittrace lines")
	}
	return inits
}

// Every command pays for what is built before main. The AWS SDK's clients
// of KMS, Secrets Manager and Parameter Store, whose tables of every
// operation took 2 MB and a garbage collection to build, are not linked in
// (aws/internal/awsjson calls the few operations cfsign uses), and cfsign's
// own packages build no regular expression or table before main: each is
// made when first used.
func TestNothingLargeIsBuiltBeforeMain(t *testing.T) {
	const ownLimit = 16 << 10 // bytes a cfsign package may allocate at init
	for _, in := range packageInits(t) {
		for _, svc := range []string{"kms", "secretsmanager", "ssm"} {
			if p := "github.com/aws/aws-sdk-go-v2/service/" + svc; in.pkg == p || strings.HasPrefix(in.pkg, p+"/") {
				t.Errorf("%s is initialised at every start (%d bytes)", in.pkg, in.bytes)
			}
		}
		if strings.HasPrefix(in.pkg, "github.com/cfsign/cfsign") && in.bytes > ownLimit {
			t.Errorf("%s allocates %d bytes before main (at most %d): build it on first use", in.pkg, in.bytes, ownLimit)
		}
	}
}
