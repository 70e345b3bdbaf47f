//go:build !unix

package termbg

import (
	"os"
	"time"
)

func ask(in, out *os.File, wait time.Duration) ([]byte, bool) { return nil, false }
