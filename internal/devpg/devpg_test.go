package devpg

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPrivateClusterFallback starts a private cluster the way `rigger dev`
// does on a machine without a reachable PostgreSQL, creates the Rigger
// database in it and stops it again.
func TestPrivateClusterFallback(t *testing.T) {
	if _, err := pgBinDir(); err != nil {
		t.Skipf("no PostgreSQL server binaries: %v", err)
	}
	dir, err := os.MkdirTemp("", "rigger-devpg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// The postgres user must be able to reach the data directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, port, err := startPrivate(ctx, dir+"/pg")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	url, err := ensureDatabase(ctx, "postgres://postgres@127.0.0.1:"+strconv.Itoa(port)+"/postgres?sslmode=disable", "rigger")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to the private cluster's rigger database: %v", err)
	}
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil || db != "rigger" {
		t.Fatalf("current_database = %q, %v", db, err)
	}
	conn.Close(ctx)
	// A second ensure finds the existing database.
	if _, err := ensureDatabase(ctx, "postgres://postgres@127.0.0.1:"+strconv.Itoa(port)+"/postgres?sslmode=disable", "rigger"); err != nil {
		t.Fatal(err)
	}
}
