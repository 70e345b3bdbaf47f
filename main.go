// Command cfsign browses an S3 bucket, uploads files and mints CloudFront
// signed URLs and cookies, from a terminal UI or scriptable subcommands.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "usage: cfsign COMMAND [flags]")
	os.Exit(2)
}
