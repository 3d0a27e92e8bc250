package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/internal/secrets"
	"github.com/rigger-platform/rigger/internal/tenant"
)

func redisURL() string {
	if v := os.Getenv("RIGGER_TEST_REDIS_URL"); v != "" {
		return v
	}
	return "redis://127.0.0.1:6379/0"
}

// newActivities connects an admin client to the test server with a fresh
// master key.
func newActivities(t *testing.T) *Activities {
	t.Helper()
	opts, err := redis.ParseURL(redisURL())
	if err != nil {
		t.Fatalf("parse RIGGER_TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	if err := client.Ping(ctxT(t)).Err(); err != nil {
		t.Fatalf("connect to Redis at %s: %v (is Redis running? set RIGGER_TEST_REDIS_URL)", opts.Addr, err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	d, err := secrets.NewDeriver(key)
	if err != nil {
		t.Fatal(err)
	}
	return &Activities{Client: client, Secrets: d}
}

// newSlug is unique per test so parallel runs and leftovers never collide;
// the user and keys are removed when the test ends.
func newSlug(t *testing.T, a *Activities) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	slug := "ct-" + hex.EncodeToString(b)
	cleanup(t, a, slug)
	return slug
}

// cleanup deletes the tenant's user and keys when the test ends.
func cleanup(t *testing.T, a *Activities, slug string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := a.CacheDeleteUser(ctx, DeleteUserInput{Slug: slug}); err != nil {
			t.Logf("cleanup %s: %v", slug, err)
		}
	})
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// connectAs opens a connection authenticated as the tenant's user, using the
// password derived from the returned reference, as the tenant's Backstage does.
func connectAs(t *testing.T, a *Activities, res CreateUserResult) *redis.Client {
	t.Helper()
	opts := *a.Client.Options()
	opts.Username = res.User
	opts.Password = a.Secrets.Secret(res.PasswordRef)
	// One connection, so "the same connection" in a test really is one.
	opts.PoolSize = 1
	opts.MinIdleConns = 0
	c := redis.NewClient(&opts)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(ctxT(t)).Err(); err != nil {
		t.Fatalf("log in as %s: %v", res.User, err)
	}
	return c
}

func create(t *testing.T, a *Activities, slug string) CreateUserResult {
	t.Helper()
	res, err := a.CacheCreateUser(ctxT(t), CreateUserInput{Slug: slug})
	if err != nil {
		t.Fatalf("CacheCreateUser(%s): %v", slug, err)
	}
	return res
}

func key(slug, name string) string { return tenant.RedisKeyPrefix(slug) + name }

func wantNoPerm(t *testing.T, what string, err error) {
	t.Helper()
	if !redis.IsPermissionError(err) {
		t.Errorf("%s: want NOPERM, got %v", what, err)
	}
}

func wantAppError(t *testing.T, err error, typ string, nonRetryable bool) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("want application error %s, got %T %v", typ, err, err)
	}
	if appErr.Type() != typ || appErr.NonRetryable() != nonRetryable {
		t.Errorf("got type %q non-retryable %v, want %q %v", appErr.Type(), appErr.NonRetryable(), typ, nonRetryable)
	}
}
