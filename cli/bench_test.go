package cli

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// BenchmarkSignBatch signs 10,000 stdin lines through Main, as
// `cfsign sign - --expires 1h` would. Compare with `openssl speed rsa2048`.
func BenchmarkSignBatch(b *testing.B) {
	rsaKey, ecKey := testKeys(b)
	var in strings.Builder
	const lines = 10000
	for i := range lines {
		fmt.Fprintf(&in, "videos/2026/clip %05d.mp4\n", i)
	}
	input := in.String()
	for _, bc := range []struct{ name, key string }{{"RSA", rsaKey}, {"ECDSA", ecKey}} {
		b.Run(bc.name, func(b *testing.B) {
			te := newTestEnv(b).set("CFSIGN_KEY_PAIR_ID", keyPairID).set("CFSIGN_PRIVATE_KEY", bc.key).set("CFSIGN_DOMAIN", "d111.cloudfront.net")
			vars := te.vars
			env := te.env
			env.Getenv = func(k string) string { return vars[k] }
			env.Stdout, env.Stderr = io.Discard, io.Discard
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				env.Stdin = strings.NewReader(input)
				if code := Main(b.Context(), []string{"sign", "-", "--expires", "1h"}, env); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "urls/s")
		})
	}
}
