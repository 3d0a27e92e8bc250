package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// childEnv makes the test binary act as rigger-devserver: the tests run the
// real program as a subprocess without a separate `go build`.
const childEnv = "RIGGER_DEVSERVER_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// child is a dev server running as a subprocess.
type child struct {
	t        *testing.T
	cmd      *exec.Cmd
	stdout   *bufio.Reader
	stderr   *syncBuffer
	frontend string
	ui       string
	exited   chan struct{}
	exitErr  error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startChild starts the server and returns once it printed READY.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	c := launch(t, args...)
	line, err := c.readLine(60 * time.Second)
	if err != nil {
		c.kill()
		t.Fatalf("no READY line: %v\nstderr:\n%s", err, c.stderr.String())
	}
	var ok bool
	c.frontend, c.ui, ok = parseReady(line)
	if !ok {
		c.kill()
		t.Fatalf("bad READY line %q\nstderr:\n%s", line, c.stderr.String())
	}
	t.Cleanup(c.kill)
	return c
}

func launch(t *testing.T, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, stdout: bufio.NewReader(stdout), stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}

// readLine reads one stdout line, or fails after timeout.
func (c *child) readLine(timeout time.Duration) (string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := c.stdout.ReadString('\n')
		ch <- result{line, err}
	}()
	select {
	case r := <-ch:
		return strings.TrimSuffix(r.line, "\n"), r.err
	case <-time.After(timeout):
		return "", fmt.Errorf("timed out after %s", timeout)
	}
}

func parseReady(line string) (frontend, ui string, ok bool) {
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "READY" || !strings.HasPrefix(f[1], "frontend=") || !strings.HasPrefix(f[2], "ui=") {
		return "", "", false
	}
	return strings.TrimPrefix(f[1], "frontend="), strings.TrimPrefix(f[2], "ui="), true
}

// stop sends SIGTERM and checks for a clean exit with nothing more on stdout.
func (c *child) stop() {
	c.t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		c.t.Fatal(err)
	}
	rest, _ := io.ReadAll(c.stdout)
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		close(c.exited)
		if err != nil {
			c.t.Fatalf("server exited with %v\nstderr:\n%s", err, c.stderr.String())
		}
	case <-time.After(30 * time.Second):
		c.t.Fatalf("server did not stop after SIGTERM\nstderr:\n%s", c.stderr.String())
	}
	if len(rest) > 0 {
		c.t.Fatalf("unexpected extra stdout: %q", rest)
	}
}

func (c *child) kill() {
	select {
	case <-c.exited:
	default:
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
		close(c.exited)
	}
}

func dial(t *testing.T, addr string) (workflowservice.WorkflowServiceClient, operatorservice.OperatorServiceClient) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return workflowservice.NewWorkflowServiceClient(conn), operatorservice.NewOperatorServiceClient(conn)
}

func requireSearchAttributes(t *testing.T, op operatorservice.OperatorServiceClient, ns string, want map[string]enumspb.IndexedValueType) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		t.Fatalf("ListSearchAttributes(%s): %v", ns, err)
	}
	for name, typ := range want {
		got, ok := resp.GetCustomAttributes()[name]
		if !ok {
			t.Errorf("namespace %s: search attribute %s missing (have %v)", ns, name, resp.GetCustomAttributes())
		} else if got != typ {
			t.Errorf("namespace %s: search attribute %s is %v, want %v", ns, name, got, typ)
		}
	}
}

var riggerAttrs = map[string]enumspb.IndexedValueType{
	"RiggerTenant": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"RiggerKind":   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"RiggerStage":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

func TestInMemoryServer(t *testing.T) {
	t.Parallel()
	begin := time.Now()
	c := startChild(t, "--port", "0", "--ui-port", "0", "--extra-namespace", "rigger-extra")
	t.Logf("READY after %s: frontend=%s ui=%s", time.Since(begin).Round(time.Millisecond), c.frontend, c.ui)

	wf, op := dial(t, c.frontend)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, ns := range []string{"default", "rigger-extra"} {
		resp, err := wf.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
		if err != nil {
			t.Fatalf("DescribeNamespace(%s): %v", ns, err)
		}
		if resp.GetNamespaceInfo().GetState() != enumspb.NAMESPACE_STATE_REGISTERED {
			t.Errorf("namespace %s state %v", ns, resp.GetNamespaceInfo().GetState())
		}
		requireSearchAttributes(t, op, ns, riggerAttrs)
	}

	resp, err := http.Get(c.ui + "/healthz")
	if err != nil {
		t.Fatalf("UI: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("UI /healthz status %d", resp.StatusCode)
	}

	c.stop()
}

func TestFileDatabaseSurvivesRestart(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "rigger.db")
	args := []string{"--port", "0", "--ui-port", "-1", "--db-filename", db}

	// First run: creates the database; start a workflow tagged with a Rigger
	// search attribute (no worker: it just stays running).
	c := startChild(t, args...)
	if c.ui != "disabled" {
		t.Errorf("ui = %q, want disabled", c.ui)
	}
	wf, _ := dial(t, c.frontend)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nsBefore, err := wf.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	start, err := wf.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace:    "default",
		WorkflowId:   "persist-me",
		WorkflowType: &commonpb.WorkflowType{Name: "PersistTest"},
		TaskQueue:    &taskqueuepb.TaskQueue{Name: "nobody-polls"},
		RequestId:    "persist-me-1",
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{
			"RiggerTenant": {Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"acme"`)},
		}},
	})
	if err != nil {
		t.Fatalf("StartWorkflowExecution: %v", err)
	}
	c.stop()

	// Second run on the same file, with one more search attribute.
	c = startChild(t, append(args, "--search-attribute", "RiggerAttempt=Int")...)
	wf, op := dial(t, c.frontend)
	nsAfter, err := wf.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if nsAfter.GetNamespaceInfo().GetId() != nsBefore.GetNamespaceInfo().GetId() {
		t.Errorf("namespace ID changed across restart: %s -> %s", nsBefore.GetNamespaceInfo().GetId(), nsAfter.GetNamespaceInfo().GetId())
	}
	want := map[string]enumspb.IndexedValueType{"RiggerAttempt": enumspb.INDEXED_VALUE_TYPE_INT}
	for k, v := range riggerAttrs {
		want[k] = v
	}
	requireSearchAttributes(t, op, "default", want)

	hist, err := wf.GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: "default",
		Execution: &commonpb.WorkflowExecution{WorkflowId: "persist-me", RunId: start.GetRunId()},
	})
	if err != nil {
		t.Fatalf("GetWorkflowExecutionHistory: %v", err)
	}
	events := hist.GetHistory().GetEvents()
	if len(events) == 0 || events[0].GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED {
		t.Fatalf("history after restart: %v", events)
	}

	// Visibility kept the search attribute value too.
	deadline := time.Now().Add(15 * time.Second)
	for {
		list, err := wf.ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: "default",
			Query:     `RiggerTenant = "acme"`,
		})
		if err != nil {
			t.Fatalf("ListWorkflowExecutions: %v", err)
		}
		if len(list.GetExecutions()) == 1 && list.GetExecutions()[0].GetExecution().GetWorkflowId() == "persist-me" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("visibility query found %d executions", len(list.GetExecutions()))
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.stop()
}

func TestPortInUse(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	c := launch(t, "--port", fmt.Sprint(port), "--ui-port", "-1")
	out, _ := io.ReadAll(c.stdout)
	err = c.cmd.Wait()
	close(c.exited)
	if err == nil {
		t.Fatal("expected a non-zero exit")
	}
	if len(out) > 0 {
		t.Errorf("unexpected stdout: %q", out)
	}
	stderr := strings.TrimSpace(c.stderr.String())
	if strings.Count(stderr, "\n") != 0 || !strings.Contains(stderr, "not available") {
		t.Errorf("want a one-line port error on stderr, got %q", stderr)
	}
}

func TestParseSearchAttribute(t *testing.T) {
	sa, err := parseSearchAttribute("Foo=keywordlist")
	if err != nil || sa.Name != "Foo" || sa.Type != enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST {
		t.Errorf("got %+v, %v", sa, err)
	}
	for _, bad := range []string{"Foo", "=Keyword", "Foo=Blob", "TemporalX=Int", "1x=Int"} {
		if _, err := parseSearchAttribute(bad); err == nil {
			t.Errorf("%q: expected an error", bad)
		}
	}
	merged, err := mergeSearchAttributes(defaultSearchAttributes(), []string{"RiggerKind=Text", "Extra=Bool"})
	if err != nil {
		t.Fatal(err)
	}
	if len(merged) != 4 || merged[1].Type != enumspb.INDEXED_VALUE_TYPE_TEXT || merged[3].Name != "Extra" {
		t.Errorf("merged = %+v", merged)
	}
}
