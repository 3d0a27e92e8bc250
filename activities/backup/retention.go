package backup

import (
	"context"
	"fmt"
	"slices"
	"time"
)

type RetentionInput struct {
	Slug       string
	KeepDaily  int // newest backup of each of the newest KeepDaily days
	KeepWeekly int // newest backup of each of the newest KeepWeekly ISO weeks
	// Now is the workflow's time, deciding which incomplete backups are
	// abandoned; zero means now.
	Now time.Time
}

type RetentionResult struct {
	Deleted []string // backup IDs, sorted
	Kept    []string // complete backups kept, newest first
}

// abandonAfter is how long an incomplete backup (no manifest) is left alone
// before retention deletes it: far longer than any backup attempt runs, so
// an attempt in progress is never pulled from under it.
const abandonAfter = 24 * time.Hour

// ApplyRetention deletes the tenant's complete backups that no rule keeps,
// and incomplete ones abandoned for longer than abandonAfter. It always keeps
// the newest complete backup and the newest verified one, whatever the
// counts. Each deletion removes the manifest first, so a backup is never
// half-deleted yet looking complete; a retry finishes the job.
func (a *Activities) ApplyRetention(ctx context.Context, in RetentionInput) (RetentionResult, error) {
	if err := checkSlug(in.Slug); err != nil {
		return RetentionResult{}, err
	}
	if in.KeepDaily < 0 || in.KeepWeekly < 0 {
		return RetentionResult{}, nonRetryable(ErrTypeInvalidInput, fmt.Errorf("retention counts must not be negative (daily %d, weekly %d)", in.KeepDaily, in.KeepWeekly))
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	list, err := a.listBackups(ctx, in.Slug)
	if err != nil {
		return RetentionResult{}, classify(phaseRestore, err)
	}
	keep := retained(list, in.KeepDaily, in.KeepWeekly)
	var res RetentionResult
	for _, b := range list {
		switch {
		case keep[b.ID]:
			res.Kept = append(res.Kept, b.ID)
		case b.Complete || b.LastModified.Before(in.Now.Add(-abandonAfter)):
			if err := a.deleteBackup(ctx, in.Slug, b.ID); err != nil {
				return res, classify(phaseRestore, err)
			}
			res.Deleted = append(res.Deleted, b.ID)
		}
	}
	slices.Sort(res.Deleted)
	return res, nil
}

// retained applies the rules to backups listed newest first.
func retained(list []BackupInfo, keepDaily, keepWeekly int) map[string]bool {
	keep := map[string]bool{}
	days, weeks := map[string]bool{}, map[[2]int]bool{}
	newest, newestVerified := false, false
	for _, b := range list {
		if !b.Complete {
			continue
		}
		if !newest {
			keep[b.ID], newest = true, true
		}
		if b.VerifiedAt != nil && !newestVerified {
			keep[b.ID], newestVerified = true, true
		}
		t := b.TakenAt.UTC()
		if day := t.Format(time.DateOnly); !days[day] {
			days[day] = true
			if len(days) <= keepDaily {
				keep[b.ID] = true
			}
		}
		y, w := t.ISOWeek()
		if week := [2]int{y, w}; !weeks[week] {
			weeks[week] = true
			if len(weeks) <= keepWeekly {
				keep[b.ID] = true
			}
		}
	}
	return keep
}

func (a *Activities) deleteBackup(ctx context.Context, slug, id string) error {
	st := a.scope(slug)
	if err := st.Delete(ctx, backupDir(id)+manifestFile); err != nil {
		return err
	}
	if _, err := st.DeletePrefix(ctx, backupDir(id)); err != nil {
		return err
	}
	if a.Store2 != nil {
		return a.Store2.MarkBackupDeleted(ctx, slug, id)
	}
	return nil
}
