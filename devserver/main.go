// Command rigger-devserver runs a single-process Temporal dev server (frontend,
// history, matching and worker services) backed by SQLite, plus the Temporal
// Web UI, for local development and tests of Rigger.
//
// When the server answers gRPC (and the UI, unless disabled, answers HTTP) it
// prints exactly one line to stdout:
//
//	READY frontend=<ip:port> ui=<http://ip:port|disabled>
//
// All logs go to stderr. SIGINT/SIGTERM stop it cleanly with exit code 0.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
