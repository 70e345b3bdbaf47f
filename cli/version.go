package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version says which cfsign this is: the module version it was installed
// at (go install ...@v1.2.3), or, built from a checkout, "(devel)" with the
// commit, its time and whether the tree had changes; then the Go version.
func version() string {
	v, extra := "(unknown)", []string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		var rev, at string
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" {
			extra = append(extra, "commit "+rev[:min(12, len(rev))])
			if at != "" {
				extra = append(extra, at)
			}
			if modified {
				extra = append(extra, "with local changes")
			}
		}
	}
	extra = append(extra, runtime.Version())
	return fmt.Sprintf("cfsign %s (%s)", v, strings.Join(extra, ", "))
}
