// Package kubetest runs a real Kubernetes control plane for tests, without
// Docker or kubelets: Debian's etcd, and kube-apiserver and
// kube-controller-manager built from k8s.io/kubernetes by the tools/kube
// module (`make kube-bins`). Authentication is a static token file and
// authorization is RBAC, so requests made as a service account are judged as
// a real cluster would judge them, admission policies included.
package kubetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Options say where the binaries are.
type Options struct {
	// BinDir holds kube-apiserver and kube-controller-manager.
	BinDir string
	// Etcd is the etcd binary; "etcd" from PATH when empty.
	Etcd string
	// Logs receives the three processes' output (discarded when nil).
	Logs io.Writer
}

// Cluster is a running control plane.
type Cluster struct {
	// Admin is a system:masters client configuration.
	Admin *rest.Config
	dir   string
	procs []*process
}

type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

// Start brings up etcd, then kube-apiserver, then kube-controller-manager,
// and returns once the API server reports ready and the namespace and quota
// controllers run. Stop the cluster with Stop even when Start fails.
func Start(ctx context.Context, o Options) (c *Cluster, err error) {
	dir, err := os.MkdirTemp("", "rigger-kube-")
	if err != nil {
		return nil, err
	}
	c = &Cluster{dir: dir}
	defer func() {
		if err != nil {
			c.Stop()
			c = nil
		}
	}()
	logs := o.Logs
	if logs == nil {
		logs = io.Discard
	}
	etcdBin := o.Etcd
	if etcdBin == "" {
		etcdBin = "etcd"
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, apiPort := ports[0], ports[1], ports[2]

	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdClient)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(etcdPeer)
	if err := c.spawn(logs, etcdBin,
		"--name=rigger-test",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=rigger-test="+peerURL,
		// Test data: durability buys nothing and fsync is slow.
		"--unsafe-no-fsync",
	); err != nil {
		return nil, err
	}

	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+`,rigger-test-admin,rigger-test-admin,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, err
	}
	saKey, saPub, err := writeServiceAccountKeys(dir)
	if err != nil {
		return nil, err
	}
	certDir := filepath.Join(dir, "certs")
	if err := c.spawn(logs, filepath.Join(o.BinDir, "kube-apiserver"),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(apiPort),
		"--cert-dir="+certDir,
		"--token-auth-file="+tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+saPub,
		"--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range=10.96.0.0/24",
		// On loopback the default reconciler would publish 127.0.0.1 as the
		// kubernetes Service's endpoint, which the API server refuses.
		"--endpoint-reconciler-type=none",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
	); err != nil {
		return nil, err
	}

	host := "https://127.0.0.1:" + strconv.Itoa(apiPort)
	// The serving certificate is self-signed and written at start-up.
	ca, err := waitForFile(ctx, filepath.Join(certDir, "apiserver.crt"), c.exited)
	if err != nil {
		return nil, fmt.Errorf("kube-apiserver serving certificate: %w", err)
	}
	c.Admin = &rest.Config{Host: host, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAData: ca}, QPS: 100, Burst: 200}
	if err := c.waitReady(ctx); err != nil {
		return nil, err
	}

	kubeconfig := filepath.Join(dir, "controller-manager.kubeconfig")
	if err := writeKubeconfig(kubeconfig, host, filepath.Join(certDir, "apiserver.crt"), token); err != nil {
		return nil, err
	}
	if err := c.spawn(logs, filepath.Join(o.BinDir, "kube-controller-manager"),
		"--kubeconfig="+kubeconfig,
		"--leader-elect=false",
		// What tests observe: namespaces that finish deleting, quotas with
		// status, owner-reference cleanup, default service accounts, and the
		// aggregated admin/edit/view roles (empty without their controller).
		"--controllers=namespace,resourcequota,garbagecollector,serviceaccount,clusterrole-aggregation",
		"--secure-port=0",
	); err != nil {
		return nil, err
	}
	return c, nil
}

// ServiceAccount returns a client configuration that authenticates as the
// service account namespace/name, with a token from the TokenRequest API
// (what a pod's projected token is).
func (c *Cluster) ServiceAccount(ctx context.Context, namespace, name string) (*rest.Config, error) {
	cs, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		return nil, err
	}
	expiry := int64(3600)
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token for %s/%s: %w", namespace, name, err)
	}
	cfg := rest.AnonymousClientConfig(c.Admin)
	cfg.BearerToken = tr.Status.Token
	return cfg, nil
}

// Stop ends the processes (controller manager first, etcd last) and removes
// their data.
func (c *Cluster) Stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	c.procs = nil
	_ = os.RemoveAll(c.dir)
}

func (c *Cluster) spawn(logs io.Writer, bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	// Killed with the test binary, even when it dies without cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", filepath.Base(bin), err)
	}
	p := &process{name: filepath.Base(bin), cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	c.procs = append(c.procs, p)
	return nil
}

// exited reports a process that has already died, so waits fail fast with
// its name instead of running into the timeout.
func (c *Cluster) exited() error {
	for _, p := range c.procs {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited: %v", p.name, p.err)
		default:
		}
	}
	return nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	cs, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		return err
	}
	var last error
	for {
		if err := c.exited(); err != nil {
			return err
		}
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil {
			return nil
		}
		last = fmt.Errorf("%v %s", err, body)
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver not ready: %w (last: %v)", ctx.Err(), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func waitForFile(ctx context.Context, path string, exited func() error) ([]byte, error) {
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return b, nil
		}
		if err := exited(); err != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func writeServiceAccountKeys(dir string) (keyPath, pubPath string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	keyPath, pubPath = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return "", "", err
	}
	return keyPath, pubPath, os.WriteFile(pubPath, pubPEM, 0o600)
}

func writeKubeconfig(path, host, caFile, token string) error {
	if host == "" || caFile == "" || token == "" {
		return errors.New("kubeconfig: missing host, CA or token")
	}
	doc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: admin
  user:
    token: %s
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
`, host, caFile, token)
	return os.WriteFile(path, []byte(doc), 0o600)
}
