package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/server/temporal"
)

// readyTimeout bounds the wait for the frontend and UI to answer.
const readyTimeout = 90 * time.Second

// devServer is a running Temporal server plus optional Web UI.
type devServer struct {
	temporal     temporal.Server
	logger       *serverLogger
	ui           *webUI // nil when disabled
	frontendAddr string
	uiURL        string // empty when disabled
}

// start brings everything up and returns once the frontend answers gRPC for
// every namespace, the search attributes are registered and the UI answers.
func start(ctx context.Context, o *options) (*devServer, error) {
	ports, uiPort, err := pickPorts(o)
	if err != nil {
		return nil, err
	}

	sqlConf := sqliteConfig(o.dbFilename)
	if err := prepareDatabase(sqlConf, o.dbFilename, clusterName, o.namespaces(), o.searchAttributes); err != nil {
		return nil, err
	}

	logger, err := newServerLogger(o.logLevel)
	if err != nil {
		return nil, err
	}
	conf := serverConfig(o.ip, ports, sqlConf)
	ts, err := newTemporalServer(conf, o.ip, ports, logger, buildDynamicConfig(o.dynamicConfig))
	if err != nil {
		return nil, fmt.Errorf("creating server: %w", err)
	}
	if err := ts.Start(); err != nil {
		return nil, fmt.Errorf("starting server: %w", err)
	}
	s := &devServer{temporal: ts, logger: logger, frontendAddr: hostPort(o.ip, ports.frontend)}

	if err := s.waitReady(ctx, o, uiPort); err != nil {
		_ = s.stop(stopTimeout)
		return nil, err
	}
	return s, nil
}

// pickPorts resolves the user's ports (checking they're free) and picks free
// ones for the frontend HTTP API and the internal services. uiPort is -1 when
// the UI is disabled.
func pickPorts(o *options) (servicePorts, int, error) {
	var p servicePorts
	var err error
	picker := newPortPicker(o.ip)
	if p.frontend, err = picker.resolve("frontend gRPC", o.port); err != nil {
		return p, 0, err
	}
	if o.httpPort >= 0 {
		if p.frontendHTTP, err = picker.resolve("frontend HTTP", o.httpPort); err != nil {
			return p, 0, err
		}
	}
	uiPort := -1
	if o.uiPort >= 0 {
		if uiPort, err = picker.resolve("UI", o.uiPort); err != nil {
			return p, 0, err
		}
	}
	for _, internal := range []struct {
		name string
		port *int
	}{{"history", &p.history}, {"matching", &p.matching}, {"worker", &p.worker}} {
		if *internal.port, err = picker.resolve(internal.name, 0); err != nil {
			return p, 0, err
		}
	}
	return p, uiPort, nil
}

// waitReady waits for the frontend, registers missing search attributes,
// then starts the UI (if enabled) and waits for it.
func (s *devServer) waitReady(ctx context.Context, o *options, uiPort int) error {
	ctx, cancel := context.WithTimeoutCause(ctx, readyTimeout, errors.New("timed out"))
	defer cancel()

	client, err := dialFrontend(s.frontendAddr)
	if err != nil {
		return err
	}
	defer client.close()
	if err := client.waitServing(ctx, o.namespaces()); err != nil {
		return err
	}
	for _, ns := range o.namespaces() {
		if err := client.ensureSearchAttributes(ctx, ns, o.searchAttributes); err != nil {
			return err
		}
	}

	if uiPort < 0 {
		return nil
	}
	s.ui = startUI(o.ip, uiPort, s.frontendAddr, o.namespace, o.uiCodecEndpoint)
	if err := s.ui.waitReady(ctx); err != nil {
		return err
	}
	s.uiURL = s.ui.url
	return nil
}

// stop shuts down the UI and the server, giving up after timeout.
func (s *devServer) stop(timeout time.Duration) error {
	s.logger.quietShutdown()
	done := make(chan error, 1)
	go func() {
		if s.ui != nil {
			s.ui.stop()
		}
		done <- s.temporal.Stop()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("server did not stop within %s", timeout)
	}
}
