package backup

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/rigger-platform/rigger/activities/storage"
)

type ListBackupsInput struct{ Slug string }

type ListBackupsResult struct {
	Backups []BackupInfo // newest first
}

// BackupInfo describes one backup directory in storage.
type BackupInfo struct {
	ID string
	// Complete is true when the manifest exists and parses; incomplete
	// backups are attempts in progress or abandoned ones.
	Complete   bool
	Problem    string // why a manifest that exists is unusable
	TakenAt    time.Time
	SnapshotAt time.Time
	FinishedAt time.Time
	Tables     int
	Rows       int64
	DataBytes  int64
	// StoredBytes and Objects count everything under the directory.
	StoredBytes  int64
	Objects      int
	LastModified time.Time
	// VerifiedAt is when a restore of it last verified, per the control
	// plane (nil when not verified or no control plane is configured).
	VerifiedAt *time.Time
}

// ListBackups lists the tenant's backups from storage, reading every
// manifest, enriched with verification times from the control plane.
func (a *Activities) ListBackups(ctx context.Context, in ListBackupsInput) (ListBackupsResult, error) {
	if err := checkSlug(in.Slug); err != nil {
		return ListBackupsResult{}, err
	}
	list, err := a.listBackups(ctx, in.Slug)
	if err != nil {
		return ListBackupsResult{}, classify(phaseRestore, err)
	}
	return ListBackupsResult{Backups: list}, nil
}

func (a *Activities) listBackups(ctx context.Context, slug string) ([]BackupInfo, error) {
	st := a.scope(slug)
	objs, err := st.List(ctx, "backups/")
	if err != nil {
		return nil, err
	}
	byID := map[string]*BackupInfo{}
	var ids []string
	for _, o := range objs {
		id, _, ok := strings.Cut(strings.TrimPrefix(o.Key, "backups/"), "/")
		if !ok || checkBackupID(id) != nil {
			continue // not something BackupTenant wrote
		}
		b := byID[id]
		if b == nil {
			b = &BackupInfo{ID: id}
			byID[id] = b
			ids = append(ids, id)
		}
		b.Objects++
		b.StoredBytes += o.Size
		b.LastModified = maxTime(b.LastModified, o.ModTime)
		if o.Key == backupDir(id)+manifestFile {
			b.Complete = true
		}
	}
	verified, err := a.verifiedAt(ctx, slug)
	if err != nil {
		return nil, err
	}
	out := make([]BackupInfo, 0, len(ids))
	for _, id := range ids {
		b := byID[id]
		if b.Complete {
			if err := describe(ctx, st, slug, b); err != nil {
				return nil, err
			}
		}
		b.VerifiedAt = verified[id]
		out = append(out, *b)
	}
	slices.SortFunc(out, func(x, y BackupInfo) int {
		if c := y.sortTime().Compare(x.sortTime()); c != 0 {
			return c
		}
		return strings.Compare(y.ID, x.ID)
	})
	return out, nil
}

// describe fills in what the manifest says; one that does not parse makes
// the backup incomplete, with the reason.
func describe(ctx context.Context, st storage.Store, slug string, b *BackupInfo) error {
	m, err := readManifest(ctx, st, slug, b.ID)
	switch {
	case errorType(err) == ErrTypeCorrupt || errorType(err) == ErrTypeUnsupported:
		b.Complete, b.Problem = false, err.Error()
		return nil
	case errors.Is(err, storage.ErrNotFound): // deleted while we listed
		b.Complete = false
		return nil
	case err != nil:
		return err
	}
	b.TakenAt, b.SnapshotAt, b.FinishedAt = m.TakenAt, m.SnapshotAt, m.FinishedAt
	b.Tables, b.DataBytes = len(m.Tables), m.DataBytes
	for _, t := range m.Tables {
		b.Rows += t.Rows
	}
	return nil
}

// sortTime orders complete backups by the time they stand for and the
// others by their last write.
func (b BackupInfo) sortTime() time.Time {
	if b.Complete {
		return b.TakenAt
	}
	return b.LastModified
}

func (a *Activities) verifiedAt(ctx context.Context, slug string) (map[string]*time.Time, error) {
	out := map[string]*time.Time{}
	if a.Store2 == nil {
		return out, nil
	}
	recs, err := a.Store2.ListBackups(ctx, slug, "")
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		out[r.ID] = r.VerifiedAt
	}
	return out, nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
