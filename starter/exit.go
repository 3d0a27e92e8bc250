package starter

import (
	"errors"
	"fmt"
	"io"
)

// usageError is a mistake on the command line (exit code 2), as opposed to a
// command that ran and failed (exit code 1).
type usageError string

func (u usageError) Error() string { return string(u) }

// exitCode reports err on stderr and turns it into the process exit code
// every subcommand uses: 0 success, 1 failure, 2 bad usage.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "rigger:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}
