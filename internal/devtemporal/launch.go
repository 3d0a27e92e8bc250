// Package devtemporal runs the bundled Temporal dev server (the separate
// rigger-devserver binary, built from go.temporal.io/server) as a child
// process and waits until it serves.
package devtemporal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options choose where the dev server listens and keeps its data.
type Options struct {
	Binary    string // path; "" searches beside the running executable, then PATH
	IP        string
	Port      int // 0 picks a free port
	UIPort    int // -1 disables the UI, 0 picks a free port
	DBFile    string
	Namespace string
	// UICodecEndpoint points the Web UI at Rigger's payload codec.
	UICodecEndpoint string
	Stderr          io.Writer // server logs (default: discarded)
}

// Server is a running dev server.
type Server struct {
	Frontend string // host:port of the gRPC frontend
	UI       string // URL of the Web UI, or "" when disabled
	cmd      *exec.Cmd
	done     chan error
}

// FindBinary locates rigger-devserver.
func FindBinary(explicit string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("dev server binary %s: %w", explicit, err)
		}
		return explicit, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "rigger-devserver")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("rigger-devserver"); err == nil {
		return p, nil
	}
	return "", errors.New("rigger-devserver not found: run `make build` (it builds bin/rigger-devserver), set RIGGER_DEVSERVER_BIN, or set TEMPORAL_ADDRESS to use an existing Temporal")
}

// Start launches the server and waits up to timeout for its READY line.
func Start(ctx context.Context, o Options, timeout time.Duration) (*Server, error) {
	bin, err := FindBinary(o.Binary)
	if err != nil {
		return nil, err
	}
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	args := []string{"--ip", o.IP, "--port", strconv.Itoa(o.Port), "--ui-port", strconv.Itoa(o.UIPort), "--namespace", o.Namespace}
	if o.DBFile != "" {
		args = append(args, "--db-filename", o.DBFile)
	}
	if o.UICodecEndpoint != "" {
		args = append(args, "--ui-codec-endpoint", o.UICodecEndpoint)
	}
	cmd := exec.Command(bin, args...)
	// Its own process group, so a Ctrl-C in the terminal reaches Rigger
	// first and Rigger stops the server after draining its workers.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	cmd.Stderr = o.Stderr
	if cmd.Stderr == nil {
		cmd.Stderr = io.Discard
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &Server{cmd: cmd, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "READY ") {
				select {
				case ready <- line:
				default:
				}
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case line := <-ready:
		for _, f := range strings.Fields(strings.TrimPrefix(line, "READY ")) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "frontend":
				s.Frontend = v
			case "ui":
				if v != "disabled" {
					s.UI = v
				}
			}
		}
		return s, nil
	case err := <-s.done:
		return nil, fmt.Errorf("temporal dev server exited before it was ready: %v (is port %d taken? see its log)", err, o.Port)
	case <-time.After(timeout):
		s.Stop()
		return nil, fmt.Errorf("temporal dev server not ready after %s", timeout)
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
}

// Stop asks the server to stop, then kills it if it lingers.
func (s *Server) Stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Kill stops the server at once, as a crash would.
func (s *Server) Kill() {
	if s != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
