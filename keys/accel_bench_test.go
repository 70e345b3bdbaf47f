//go:build unix

package keys

import (
	"crypto"
	"crypto/sha1"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user+system, all threads) this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAccelSign measures RSA-2048 PKCS#1 v1.5 SHA-1 signatures (what a
// CloudFront canned policy needs) from all GOMAXPROCS goroutines at once:
// the backend Accelerate picked, and in an openssl build crypto/rsa beside it.
// Run with -cpu 1,2; compare the go build, -tags openssl and
// GOEXPERIMENT=boringcrypto. signs/s is wall-clock throughput; cpu-us/sign
// (process CPU time per signature) is steadier on a shared, busy machine.
func BenchmarkAccelSign(b *testing.B) {
	k := accelKey(b)
	type named struct {
		name string
		s    crypto.Signer
	}
	signers := []named{{Accelerated(), Accelerate(k)}}
	if accelerated() {
		signers = append(signers, named{"go", k})
	}
	digest := sha1.Sum([]byte(`{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/a.mp4","Condition":{"DateLessThan":{"AWS:EpochTime":1767225600}}}]}`))
	for _, sg := range signers {
		b.Run(sg.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := sg.s.Sign(nil, digest[:], crypto.SHA1); err != nil {
						b.Error(err)
						return
					}
				}
			})
			cpu := cpuTime(b) - cpu0
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signs/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/sign")
		})
	}
}
