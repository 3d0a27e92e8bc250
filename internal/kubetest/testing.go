package kubetest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Environment variables of the `make test-kube` tier.
const (
	// EnvBinDir names the directory with kube-apiserver and
	// kube-controller-manager.
	EnvBinDir = "RIGGER_KUBE_BIN"
	// EnvRequired turns a missing cluster from a skip into a failure, so the
	// tier cannot pass by skipping.
	EnvRequired = "RIGGER_KUBE_REQUIRED"
	// EnvVerbose sends the control plane's logs to stderr.
	EnvVerbose = "RIGGER_KUBE_VERBOSE"
)

// ForTest starts a cluster for t and stops it when t ends. Without
// RIGGER_KUBE_BIN the test is skipped (`go test ./...` has no control plane
// binaries), unless RIGGER_KUBE_REQUIRED is set.
func ForTest(t testing.TB) *Cluster {
	t.Helper()
	dir := os.Getenv(EnvBinDir)
	if dir == "" {
		if os.Getenv(EnvRequired) != "" {
			t.Fatalf("%s is not set: build the binaries with `make kube-bins`", EnvBinDir)
		}
		t.Skipf("needs a real kube-apiserver: run `make test-kube` (%s unset)", EnvBinDir)
	}
	for _, b := range []string{"kube-apiserver", "kube-controller-manager"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			t.Fatalf("%s: %v", EnvBinDir, err)
		}
	}
	var logs io.Writer
	if os.Getenv(EnvVerbose) != "" {
		logs = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{BinDir: dir, Etcd: os.Getenv("RIGGER_ETCD_BIN"), Logs: logs})
	if err != nil {
		t.Fatalf("start kubernetes control plane: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}
