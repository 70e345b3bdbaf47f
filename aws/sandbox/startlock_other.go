//go:build !unix

package sandbox

// lockStart is a no-op here: two processes starting a sandbox on a new
// directory at the same moment may race (one fails and can be run again).
func lockStart(string) (func(), error) { return func() {}, nil }
