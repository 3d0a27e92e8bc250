package storage

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
)

func TestFromConfig(t *testing.T) {
	local, err := FromConfig(Config{Backend: "local", Dir: t.TempDir()})
	if _, ok := local.(*Local); err != nil || !ok {
		t.Fatalf("local: %T %v", local, err)
	}
	local.(*Local).Close()
	s3, err := FromConfig(Config{Backend: "s3", Endpoint: "minio:9000", Bucket: "b", AccessKey: "k", SecretKey: "s", PathStyle: true, Insecure: true})
	if _, ok := s3.(*S3); err != nil || !ok {
		t.Fatalf("s3: %T %v", s3, err)
	}
	for _, bad := range []Config{{}, {Backend: "gcs"}, {Backend: "local"}, {Backend: "s3"}, {Backend: "s3", Bucket: "b", Endpoint: "ftp://x"}, {Backend: "s3", Bucket: "b", Endpoint: "http://x/path"}} {
		if _, err := FromConfig(bad); err == nil {
			t.Errorf("FromConfig(%v) succeeded", bad)
		}
	}
}

func TestConfigStringHidesTheSecretKey(t *testing.T) {
	s := Config{Backend: "s3", AccessKey: "AKIA", SecretKey: "hunter2"}.String()
	if strings.Contains(s, "hunter2") || !strings.Contains(s, "AKIA") {
		t.Fatalf("String() = %s", s)
	}
}

func TestS3Endpoint(t *testing.T) {
	cases := []struct {
		cfg    Config
		host   string
		secure bool
	}{
		{Config{}, "s3.amazonaws.com", true},
		{Config{Endpoint: "minio:9000"}, "minio:9000", true},
		{Config{Endpoint: "minio:9000", Insecure: true}, "minio:9000", false},
		{Config{Endpoint: "http://minio:9000"}, "minio:9000", false},
		{Config{Endpoint: "https://ceph.example:7480/"}, "ceph.example:7480", true},
	}
	for _, c := range cases {
		host, secure, err := s3Endpoint(c.cfg)
		if err != nil || host != c.host || secure != c.secure {
			t.Errorf("%+v: got %s %v %v", c.cfg, host, secure, err)
		}
	}
}

// Plain HTTP with a known size: the Insecure path, as against a dev MinIO.
func TestS3OverPlainHTTP(t *testing.T) {
	s, err := FromConfig(Config{
		Backend: "s3", Endpoint: newPlainFakeS3(t), Insecure: true, PathStyle: true,
		Bucket: testBucket, AccessKey: "rigger", SecretKey: "not-a-secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "a/b", "over http")
	if got := get(t, s, "a/b"); got != "over http" {
		t.Fatalf("got %q", got)
	}
}

func TestS3ErrorsAreClassified(t *testing.T) {
	ctx := context.Background()
	cfg, srv := newFakeS3(t) // no bucket
	s, err := newS3(cfg, srv.Client().Transport)
	if err != nil {
		t.Fatal(err)
	}
	// Stat and Get of a missing bucket look like a missing object (minio-go
	// asks with HEAD, whose 404 has no body); writes and listings tell.
	_, err = s.List(ctx, "")
	wantAppError(t, classify(err), ErrTypeBucketNotFound, true)
	wantAppError(t, classify(s.Put(ctx, "x", strings.NewReader("x"), 1, "")), ErrTypeBucketNotFound, true)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Endpoint = "http://" + l.Addr().String()
	l.Close()
	down, err := FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = down.Stat(ctx, "x")
	wantAppError(t, classify(err), ErrTypeUnavailable, false)
}

func wantAppError(t *testing.T, err error, typ string, nonRetryable bool) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("want application error %s, got %T %v", typ, err, err)
	}
	if appErr.Type() != typ || appErr.NonRetryable() != nonRetryable {
		t.Errorf("got type %q non-retryable %v, want %q %v (%v)", appErr.Type(), appErr.NonRetryable(), typ, nonRetryable, err)
	}
}
