package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// stopTimeout bounds how long a clean shutdown may take before we give up.
const stopTimeout = 30 * time.Second

// run is the whole program: parse flags, start, announce readiness, wait for a
// signal, stop. It returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return fail(stderr, err)
	}

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()

	srv, err := start(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			// Interrupted while starting: that's a clean stop, not a failure.
			return 0
		}
		return fail(stderr, err)
	}

	uiField := "disabled"
	if srv.uiURL != "" {
		uiField = srv.uiURL
	}
	fmt.Fprintf(stdout, "READY frontend=%s ui=%s\n", srv.frontendAddr, uiField)

	<-ctx.Done()
	cancel() // a second signal now kills the process the default way
	if err := srv.stop(stopTimeout); err != nil {
		return fail(stderr, fmt.Errorf("stopping: %w", err))
	}
	return 0
}

// fail prints err as a single line on stderr and returns the failure exit code.
func fail(stderr io.Writer, err error) int {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	fmt.Fprintf(stderr, "rigger-devserver: error: %s\n", msg)
	return 1
}
