// Package devpg finds a PostgreSQL for `rigger dev`: DATABASE_URL, else a
// server on localhost, else a private cluster it starts under the data
// directory with the machine's PostgreSQL binaries.
package devpg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a private PostgreSQL started by Ensure; Stop shuts it down.
type Cluster struct {
	ctl     string
	dataDir string
	asUser  string
}

// Ensure returns a URL of a database named dbName that Rigger can own.
func Ensure(ctx context.Context, databaseURL, dataDir, dbName string) (string, *Cluster, error) {
	if databaseURL != "" {
		return databaseURL, nil, nil
	}
	local := "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	if u, err := ensureDatabase(ctx, local, dbName); err == nil {
		return u, nil, nil
	}
	c, port, err := startPrivate(ctx, filepath.Join(dataDir, "postgres"))
	if err != nil {
		return "", nil, err
	}
	admin := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	u, err := ensureDatabase(ctx, admin, dbName)
	if err != nil {
		c.Stop()
		return "", nil, err
	}
	return u, c, nil
}

func ensureDatabase(ctx context.Context, adminURL, dbName string) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, adminURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, dbName).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{dbName}.Sanitize()); err != nil {
			return "", fmt.Errorf("create database %s: %w", dbName, err)
		}
	}
	u, _ := url.Parse(adminURL)
	u.Path = "/" + dbName
	return u.String(), nil
}

func pgBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL reachable on 127.0.0.1:5432 and no PostgreSQL server binaries installed: set DATABASE_URL, or install PostgreSQL (apt-get install postgresql)")
}

func startPrivate(ctx context.Context, dir string) (*Cluster, int, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, 0, err
	}
	c := &Cluster{ctl: filepath.Join(bin, "pg_ctl"), dataDir: dir}
	// PostgreSQL refuses to run as root; run it as the postgres user then.
	if os.Geteuid() == 0 {
		c.asUser = "postgres"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, 0, err
	}
	if c.asUser != "" {
		if err := chownTo(dir, c.asUser); err != nil {
			return nil, 0, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		if out, err := c.run(filepath.Join(bin, "initdb"), "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8"); err != nil {
			return nil, 0, fmt.Errorf("initdb: %v: %s", err, out)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, dir)
	if out, err := c.run(c.ctl, "-D", dir, "-l", filepath.Join(dir, "server.log"), "-o", opts, "-w", "start"); err != nil {
		return nil, 0, fmt.Errorf("start private PostgreSQL: %v: %s", err, out)
	}
	return c, port, nil
}

// Stop shuts the private cluster down.
func (c *Cluster) Stop() {
	if c != nil {
		_, _ = c.run(c.ctl, "-D", c.dataDir, "-m", "fast", "-w", "stop")
	}
}

func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	if c.asUser != "" {
		args = append([]string{"-u", c.asUser, "--", name}, args...)
		name = "runuser"
	}
	return exec.Command(name, args...).CombinedOutput()
}

func chownTo(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("PostgreSQL must not run as root and there is no %q user: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(dir, uid, gid)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
