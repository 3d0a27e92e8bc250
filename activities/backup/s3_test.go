package backup

import (
	"bytes"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/rigger-platform/rigger/activities/storage"
)

// TestRoundTripOnS3 runs backup, restore and verify against the S3 backend
// (the real minio-go client and an in-memory S3), where data files are
// uploaded with an unknown size while they stream out of COPY. The fake
// serves TLS: over plain HTTP minio-go sends unknown-size uploads
// aws-chunked, which the fake stores undecoded — a backup the restore
// rightly rejects as corrupt.
func TestRoundTripOnS3(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("rigger"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	// minio-go's default transport adds SSL_CERT_FILE to the system roots.
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", caFile)
	s3, err := storage.NewS3(storage.Config{Backend: "s3", Endpoint: srv.URL,
		Region: "us-east-1", Bucket: "rigger", AccessKey: "rigger", SecretKey: "not-a-secret", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.a.Store = s3
	e.fixture(t, "acme")
	m := e.backup(t, "acme", "s3").Manifest
	if _, err := e.a.RestoreTenant(ctx, RestoreInput{Slug: "acme", BackupID: "s3", TargetSchema: "drill_s3"}); err != nil {
		t.Fatal(err)
	}
	if v, err := e.a.VerifyRestore(ctx, VerifyInput{Slug: "acme", BackupID: "s3", Schema: "drill_s3"}); err != nil || !v.OK {
		t.Fatalf("verify %+v %v", v, err)
	}
	// Replace one data object with other bytes: the restore must notice.
	key := "tenants/acme/backups/s3/" + m.Tables[1].File
	r, err := s3.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(r)
	r.Close()
	b := body.Bytes()
	b[len(b)/3] ^= 1
	if err := s3.Put(ctx, key, bytes.NewReader(b), int64(len(b)), "application/zstd"); err != nil {
		t.Fatal(err)
	}
	_, err = e.a.RestoreTenant(ctx, RestoreInput{Slug: "acme", BackupID: "s3", TargetSchema: "drill_s3_bad"})
	wantAppErr(t, err, ErrTypeCorrupt)
}
