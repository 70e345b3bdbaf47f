package aws

import (
	"testing"
)

// The byte that completes the upload is always reported, however soon after
// the report before it: only then may a view say the upload waits for the
// server. Reports in between are spaced out.
func TestWireCounterReportsTheLastByte(t *testing.T) {
	var got []int64
	w := newWireCounter("k", 1000, func(p Progress) { got = append(got, p.Sent) })
	w.start()
	w.add(400) // too soon after start: not reported
	w.add(599) // still short
	w.add(1)   // the last byte
	if len(got) != 2 || got[0] != 0 || got[1] != 1000 {
		t.Fatalf("reports %v, want [0 1000]", got)
	}
}
