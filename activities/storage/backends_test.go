package storage

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

const testBucket = "rigger-test"

func newLocalStore(t *testing.T) Store {
	s, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newFakeS3 serves an in-memory S3 over HTTPS, so the real minio-go client,
// its request signing and the XML wire format are all exercised. (TLS also
// matters to the fake: over plain HTTP minio-go signs multipart parts with
// aws-chunked streaming, which gofakes3 decodes only for single PUTs.)
func newFakeS3(t *testing.T, buckets ...string) (Config, *httptest.Server) {
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewTLSServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return Config{
		Backend: "s3", Endpoint: srv.URL, Region: "us-east-1", Bucket: testBucket,
		AccessKey: "rigger", SecretKey: "not-a-secret", PathStyle: true,
	}, srv
}

// newPlainFakeS3 is the same fake over plain HTTP; it returns host:port.
func newPlainFakeS3(t *testing.T) string {
	backend := s3mem.New()
	if err := backend.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func newS3Store(t *testing.T) Store {
	cfg, srv := newFakeS3(t, testBucket)
	s, err := newS3(cfg, srv.Client().Transport)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var backends = []struct {
	name string
	new  func(t *testing.T) Store
}{
	{"Local", newLocalStore},
	{"S3", newS3Store},
}

func TestStoreBehaviour(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testStore(t, b.new) })
		t.Run(b.name+"/Scoped", func(t *testing.T) {
			testStore(t, func(t *testing.T) Store { return Scoped(b.new(t), "acme") })
		})
	}
}
