//go:build !unix

package termbg

import (
	"os"
	"time"
)

func query(*os.File, time.Duration) (bool, bool) { return false, false }
