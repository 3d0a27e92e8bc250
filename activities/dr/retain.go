package dr

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"regexp"

	"go.temporal.io/sdk/activity"

	"github.com/rigger-platform/rigger/activities/backup"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
)

// RetainedPrefix holds the final backups of offboarded tenants. It is
// outside every tenant's prefix on purpose: offboarding removes
// tenants/<slug>/ entirely, and a slug can be onboarded again by someone
// else, who must never see (or restore) the previous tenant's data through
// the tenant-scoped API. Rigger never deletes anything here; how long it is
// kept is the operator's retention policy (an S3 lifecycle rule on this
// prefix, or a legal hold), not the per-tenant daily/weekly rules.
const RetainedPrefix = "retained/"

// RetainedBackupPrefix is where one retained backup lives: the tenant's own
// layout under RetainedPrefix, so putting it back for a restore is copying
// retained/tenants/<slug>/backups/<id>/ to tenants/<slug>/backups/<id>/.
func RetainedBackupPrefix(slug, backupID string) string {
	return RetainedPrefix + tenant.StoragePrefix(slug) + "backups/" + backupID + "/"
}

var backupIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

type RetainInput struct {
	Slug     string
	BackupID string
}

type RetainResult struct {
	Prefix  string // where the copy is, in the unscoped store
	Objects int
	Bytes   int64
	// Released is how many of the tenant's backup records were marked
	// deleted: they leave with the tenant's prefix.
	Released int
}

// DRRetainBackup keeps an offboarding tenant's final backup: it copies every
// file the manifest lists to RetainedBackupPrefix, checking each against the
// manifest's size and SHA-256 as it streams, and writes the manifest last,
// so a copy with a manifest is complete. Then it marks all the tenant's
// backup records deleted: the offboarding removes their files next, and a
// tenant that later takes over the slug must not see them listed. Repeating
// it copies again and converges on the same objects.
func (a *Activities) DRRetainBackup(ctx context.Context, in RetainInput) (RetainResult, error) {
	if err := checkSlug(in.Slug); err != nil {
		return RetainResult{}, err
	}
	if !backupIDRE.MatchString(in.BackupID) {
		return RetainResult{}, nonRetryable(ErrTypeInvalidInput, fmt.Errorf("backup ID %q is not valid", in.BackupID))
	}
	if a.Objects == nil {
		return RetainResult{}, nonRetryable(ErrTypeNotConfigured, errors.New("dr: no object store configured"))
	}
	src := tenant.StoragePrefix(in.Slug) + "backups/" + in.BackupID + "/"
	dst := RetainedBackupPrefix(in.Slug, in.BackupID)
	manifestBody, err := readObject(ctx, a.Objects, src+"manifest.json")
	if errors.Is(err, storage.ErrNotFound) {
		return RetainResult{}, nonRetryable(ErrTypeBackupMissing, fmt.Errorf("backup %s of tenant %s has no manifest", in.BackupID, in.Slug))
	}
	if err != nil {
		return RetainResult{}, retryable(err)
	}
	var m backup.Manifest
	if err := json.Unmarshal(manifestBody, &m); err != nil || m.Tenant != in.Slug || m.BackupID != in.BackupID {
		return RetainResult{}, nonRetryable(ErrTypeCopyMismatch, fmt.Errorf("the manifest of backup %s does not describe it", in.BackupID))
	}
	res := RetainResult{Prefix: dst}
	for i, f := range m.Files {
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, i)
		}
		if err := copyVerified(ctx, a.Objects, src+f.Name, dst+f.Name, f); err != nil {
			return res, err
		}
		res.Objects++
		res.Bytes += f.Size
	}
	if err := a.Objects.Put(ctx, dst+"manifest.json", bytes.NewReader(manifestBody), int64(len(manifestBody)), "application/json"); err != nil {
		return res, retryable(err)
	}
	res.Objects++
	res.Bytes += int64(len(manifestBody))
	if a.Store != nil {
		recs, err := a.Store.ListBackups(ctx, in.Slug, "")
		if err != nil {
			return res, retryable(err)
		}
		for _, r := range recs {
			if r.Status == store.BackupDeleted {
				continue
			}
			if err := a.Store.MarkBackupDeleted(ctx, in.Slug, r.ID); err != nil {
				return res, retryable(err)
			}
			res.Released++
		}
	}
	return res, nil
}

// copyVerified streams one object and refuses (non-retryably) a source that
// does not match the manifest: a final backup that cannot be trusted must
// stop the offboarding before the data is removed.
func copyVerified(ctx context.Context, st storage.Store, from, to string, want backup.FileEntry) error {
	r, err := st.Get(ctx, from)
	if errors.Is(err, storage.ErrNotFound) {
		return nonRetryable(ErrTypeCopyMismatch, fmt.Errorf("%s is listed in the manifest but missing", want.Name))
	}
	if err != nil {
		return retryable(err)
	}
	defer r.Close()
	h := sha256.New()
	cr := &countingReader{r: io.TeeReader(r, h)}
	if err := st.Put(ctx, to, cr, want.Size, "application/octet-stream"); err != nil {
		if cr.n != want.Size {
			return nonRetryable(ErrTypeCopyMismatch, fmt.Errorf("%s is %d bytes or more, the manifest says %d: %v", want.Name, cr.n, want.Size, err))
		}
		return retryable(err)
	}
	// Put may stop at size bytes; read on to be sure nothing follows.
	if extra, _ := io.Copy(io.Discard, cr); extra > 0 || cr.n != want.Size || !sumIs(h, want.SHA256) {
		_ = st.Delete(ctx, to)
		return nonRetryable(ErrTypeCopyMismatch, fmt.Errorf("%s does not match its size or SHA-256 in the manifest", want.Name))
	}
	return nil
}

func sumIs(h hash.Hash, want string) bool { return hex.EncodeToString(h.Sum(nil)) == want }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func readObject(ctx context.Context, st storage.Store, key string) ([]byte, error) {
	r, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 64<<20))
}
