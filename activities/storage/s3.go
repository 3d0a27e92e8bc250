package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 stores objects in one bucket of any S3-compatible service (AWS S3,
// MinIO, Ceph RGW, ...), through minio-go.
type S3 struct {
	client *minio.Client
	bucket string
}

// unknownSizePartSize bounds the memory a Put with size -1 uses: minio-go
// buffers one part, and by default sizes parts for a 5 TiB object. 16 MiB
// parts still allow objects of 160 GiB.
const unknownSizePartSize = 16 << 20

// clientRetries keeps minio-go's own retries short: the activity's retry
// policy retries again with backoff, and two long layers multiplied would
// outlast the activity's timeout.
const clientRetries = 3

// NewS3 builds a client from the S3 fields of cfg. It makes no request, so a
// worker starts even while the store is briefly unreachable.
func NewS3(cfg Config) (*S3, error) { return newS3(cfg, nil) }

// newS3 takes the HTTP transport too (nil: minio-go's default), so tests can
// trust their TLS test server.
func newS3(cfg Config, transport http.RoundTripper) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("storage: s3 backend needs a bucket")
	}
	host, secure, err := s3Endpoint(cfg)
	if err != nil {
		return nil, err
	}
	lookup := minio.BucketLookupAuto // virtual-hosted where the provider supports it (AWS), else path style
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(host, &minio.Options{
		Creds:        s3Credentials(cfg),
		Secure:       secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    transport,
		MaxRetries:   clientRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: s3 client: %w", err)
	}
	return &S3{client: client, bucket: cfg.Bucket}, nil
}

// s3Endpoint accepts "host[:port]" (TLS unless Insecure) or a URL whose
// scheme decides TLS, since both spellings are common in S3 configs.
func s3Endpoint(cfg Config) (host string, secure bool, err error) {
	ep := cfg.Endpoint
	if ep == "" {
		ep = "s3.amazonaws.com"
	}
	if !strings.Contains(ep, "://") {
		return ep, !cfg.Insecure, nil
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return "", false, fmt.Errorf("storage: s3 endpoint %q must be host[:port] or http(s)://host[:port]", ep)
	}
	return u.Host, u.Scheme == "https", nil
}

// s3Credentials uses the configured key pair, or else the environment and
// the instance/pod role, so AWS deployments need no static secret.
func s3Credentials(cfg Config) *credentials.Credentials {
	if cfg.AccessKey != "" {
		return credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	}
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{}, &credentials.EnvMinio{}, &credentials.IAM{},
	})
}

func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	opts := minio.PutObjectOptions{ContentType: contentType}
	if size < 0 {
		opts.PartSize = unknownSizePartSize
	}
	_, err := s.client.PutObject(ctx, s.bucket, key, r, size, opts)
	return s3Err("put", key, err)
}

func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s3Err("get", key, err)
	}
	// GetObject is lazy; Stat sends the GET now, so a missing object is
	// reported here rather than at the first Read.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, s3Err("get", key, err)
	}
	return obj, nil
}

func (s *S3) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return ObjectInfo{}, s3Err("stat", key, err)
	}
	return ObjectInfo{Key: key, Size: info.Size, ModTime: info.LastModified}, nil
}

func (s *S3) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	// Cancelling stops minio-go's listing goroutine if we return early.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out []ObjectInfo
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, s3Err("list", prefix, o.Err)
		}
		out = append(out, ObjectInfo{Key: o.Key, Size: o.Size, ModTime: o.LastModified})
	}
	return out, nil // S3 lists in byte order already
}

func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if errors.Is(s3Err("delete", key, err), ErrNotFound) {
		return nil // S3 itself answers 204; some compatibles say NoSuchKey
	}
	return s3Err("delete", key, err)
}

// DeletePrefix removes the listed objects with multi-object deletes (up to
// 1000 keys per request).
func (s *S3) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	objs, err := s.List(ctx, prefix)
	if err != nil || len(objs) == 0 {
		return 0, err
	}
	ch := make(chan minio.ObjectInfo)
	go func() {
		defer close(ch)
		for _, o := range objs {
			select {
			case ch <- minio.ObjectInfo{Key: o.Key}:
			case <-ctx.Done():
				return
			}
		}
	}()
	failed := 0
	var first error
	for e := range s.client.RemoveObjects(ctx, s.bucket, ch, minio.RemoveObjectsOptions{}) {
		failed++
		if first == nil {
			first = s3Err("delete", e.ObjectName, e.Err)
		}
	}
	if first == nil && ctx.Err() != nil {
		return 0, ctx.Err() // the feeder stopped early; the count is unknown
	}
	return len(objs) - failed, first
}

// s3Err maps "no such key" to ErrNotFound and keeps the S3 error (with its
// code and status) for everything else.
func s3Err(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var resp minio.ErrorResponse
	errors.As(err, &resp)
	if resp.Code == "NoSuchKey" || (resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket") {
		return fmt.Errorf("storage: %s %q: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("storage: %s %q: %w", op, key, err)
}
