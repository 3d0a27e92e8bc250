package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
)

// Activities backs up and restores tenant schemas. Every exported method is
// an activity: one struct in, one struct out, safe to retry.
type Activities struct {
	// Pool is an admin (superuser) connection to the database holding the
	// tenant schemas; it needs Parallel+1 connections during a backup.
	Pool *pgxpool.Pool
	// Store is the unscoped object store; every call confines itself to the
	// tenant's prefix with storage.Scoped.
	Store storage.Store
	// Store2 is the control-plane store. When nil, backups carry no
	// control-plane rows and nothing is recorded in rigger.backups; retention
	// then knows of no verified backup (it still keeps the newest).
	Store2 *store.Store
	// RolePrefix is prepended to tenant role names, exactly as in
	// tenantdb.Activities (tests use a distinct prefix).
	RolePrefix string
	// Parallel is how many tables are copied at once; 0 means 2.
	Parallel int
}

func (a *Activities) parallel() int {
	if a.Parallel > 0 {
		return a.Parallel
	}
	return 2
}

// backupIDRE keeps a backup ID one safe storage key segment and a short
// readable name (e.g. "20261103T000000Z" or "final-20261103").
var backupIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// scratchRE names the only schemas RestoreTenant writes and DropScratch
// drops. Tenant schemas are "tenant_<slug>", so the two can never meet. The
// length bound leaves room for SwapSchema's "replaced_" name.
var scratchRE = regexp.MustCompile(`^(drill|restore)_[a-z0-9_]{1,53}$`)

func checkSlug(slug string) error {
	if err := tenant.ValidateSlug(slug); err != nil {
		return nonRetryable(ErrTypeInvalidSlug, err)
	}
	return nil
}

func checkBackupID(id string) error {
	if !backupIDRE.MatchString(id) {
		return nonRetryable(ErrTypeInvalidInput, fmt.Errorf("backup ID %q must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit", id))
	}
	return nil
}

func checkScratch(schema string) error {
	if !scratchRE.MatchString(schema) {
		return nonRetryable(ErrTypeNotScratch, fmt.Errorf("schema %q is not a scratch schema: it must match %s", schema, scratchRE))
	}
	return nil
}

// ScratchSchema names a scratch schema for RestoreTenant: kind is "drill"
// or "restore", run tells runs apart (a drill ID, a request ID). It is a pure
// function, safe to call from workflow code, and always satisfies the
// scratch rule; a long name is shortened with a hash of the whole, so
// different runs never share a schema.
func ScratchSchema(kind, slug, run string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
				return r
			case r >= 'A' && r <= 'Z':
				return r - 'A' + 'a'
			}
			return '_'
		}, s)
	}
	if kind != "restore" {
		kind = "drill"
	}
	name := kind + "_" + clean(slug) + "_" + clean(run)
	if limit := len(kind) + 1 + 53; len(name) > limit {
		sum := sha256.Sum256([]byte(name))
		name = name[:limit-9] + "_" + hex.EncodeToString(sum[:4])
	}
	return name
}

// scope is the tenant's view of the object store.
func (a *Activities) scope(slug string) storage.Store { return storage.Scoped(a.Store, slug) }

// backupDir is the prefix of one backup, relative to the tenant's prefix.
func backupDir(id string) string { return "backups/" + id + "/" }

func ident(parts ...string) string { return pgx.Identifier(parts).Sanitize() }
