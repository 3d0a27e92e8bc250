// Package dr holds the small activities the backup and disaster-recovery
// workflows need besides the backup engine itself (package backup): the DR
// settings, the tenants to back up or drill, the failure alert, and keeping
// an offboarded tenant's final backup after its storage prefix is removed.
package dr

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
)

// Settings are the DR knobs from config. The workflows read them once per
// run through DRSettings, so the values are recorded in history and a
// replay takes the same decisions even if the configuration changed since.
type Settings struct {
	// KeepDaily and KeepWeekly are the retention rules of each tenant's
	// backups (the newest backup of each of the newest N days / M weeks).
	KeepDaily  int
	KeepWeekly int
	// RPOObjective is the oldest a tenant's latest backup may be when a
	// drill looks at it; older fails the drill.
	RPOObjective time.Duration
	// DrillSample is how many active tenants a drill without an explicit
	// tenant list restores; 0 means every active tenant.
	DrillSample int
	// AlertConfigured says whether DRAlert has somewhere to post to.
	AlertConfigured bool
}

// Defaults, as documented for RIGGER_BACKUP_KEEP_DAILY, _WEEKLY and
// RIGGER_DR_RPO_OBJECTIVE.
const (
	DefaultKeepDaily    = 7
	DefaultKeepWeekly   = 4
	DefaultRPOObjective = 26 * time.Hour
)

// Activities are registered on the dr task queue.
type Activities struct {
	// Store is the control-plane store (tenants, backup records).
	Store *store.Store
	// Objects is the unscoped object store the backups live in.
	Objects storage.Store
	// Settings as configured. KeepDaily 0 means unset (both retention
	// counts take their defaults), as does a zero RPOObjective.
	Settings Settings
	// AlertURL receives a JSON POST per failed drill or backup run; empty
	// means alerts are only logged (and the run still fails).
	AlertURL string
	// HTTP is the alert client (nil: a 30-second client that does not
	// follow redirects).
	HTTP *http.Client
}

// Error types. All but ErrTypeUnavailable are non-retryable.
const (
	ErrTypeInvalidInput  = "DRInvalidInput"
	ErrTypeNotConfigured = "DRNotConfigured"
	ErrTypeAlertRejected = "DRAlertRejected"
	// ErrTypeBackupMissing: the backup to retain has no manifest.
	ErrTypeBackupMissing = "DRBackupMissing"
	// ErrTypeCopyMismatch: a retained copy does not match the manifest.
	ErrTypeCopyMismatch = "DRCopyMismatch"
	ErrTypeUnavailable  = "DRUnavailable"
)

func nonRetryable(kind string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), kind, err)
}

// retryable wraps an infrastructure error (database, storage, network) so
// the workflow's retry policy handles it; cancellation passes through.
func retryable(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return err
	}
	return temporal.NewApplicationErrorWithCause(err.Error(), ErrTypeUnavailable, err)
}

type SettingsInput struct{}

// DRSettings reports the configured settings, with defaults filled in.
func (a *Activities) DRSettings(_ context.Context, _ SettingsInput) (Settings, error) {
	s := a.Settings
	if s.KeepDaily <= 0 { // unset (config requires at least 1): both rules take their defaults
		s.KeepDaily, s.KeepWeekly = DefaultKeepDaily, DefaultKeepWeekly
	}
	s.KeepWeekly = max(s.KeepWeekly, 0)
	if s.RPOObjective <= 0 {
		s.RPOObjective = DefaultRPOObjective
	}
	if s.DrillSample < 0 {
		s.DrillSample = 0
	}
	s.AlertConfigured = a.AlertURL != ""
	return s, nil
}

type ListTenantsInput struct {
	// After and Limit page through the active tenants in slug order
	// (Limit 0: 100, at most 1000). Next in the result is the cursor of
	// the next page, "" after the last.
	After string
	Limit int
	// Sample > 0 instead returns that many active tenants chosen by Seed
	// (and Next ""): the tenants whose SHA-256 of seed and slug rank lowest.
	// The same seed and tenant set always give the same sample, so a drill
	// can say why it chose whom; the workflow derives the seed from its own
	// IDs, and the answer is recorded in its history either way.
	Sample int
	Seed   string
}

type ListTenantsResult struct {
	Tenants []string
	Next    string
	// Total is the number of active tenants a sample was drawn from.
	Total int
}

// DRListTenants lists active tenants, a page or a sample.
func (a *Activities) DRListTenants(ctx context.Context, in ListTenantsInput) (ListTenantsResult, error) {
	if a.Store == nil {
		return ListTenantsResult{}, nonRetryable(ErrTypeNotConfigured, errors.New("dr: no control-plane store configured"))
	}
	if in.Sample < 0 || in.Limit < 0 {
		return ListTenantsResult{}, nonRetryable(ErrTypeInvalidInput, fmt.Errorf("sample %d and limit %d must not be negative", in.Sample, in.Limit))
	}
	if in.Sample == 0 {
		limit := in.Limit
		if limit == 0 {
			limit = 100
		}
		limit = min(limit, 1000)
		ts, err := a.Store.ListTenants(ctx, store.StatusActive, in.After, limit)
		if err != nil {
			return ListTenantsResult{}, retryable(err)
		}
		out := ListTenantsResult{Tenants: make([]string, 0, len(ts))}
		for _, t := range ts {
			out.Tenants = append(out.Tenants, t.Slug)
		}
		if len(ts) == limit {
			out.Next = ts[len(ts)-1].Slug
		}
		return out, nil
	}
	type ranked struct {
		slug string
		rank [32]byte
	}
	var all []ranked
	after := ""
	for {
		ts, err := a.Store.ListTenants(ctx, store.StatusActive, after, 1000)
		if err != nil {
			return ListTenantsResult{}, retryable(err)
		}
		for _, t := range ts {
			all = append(all, ranked{t.Slug, SampleRank(in.Seed, t.Slug)})
		}
		if len(ts) < 1000 {
			break
		}
		after = ts[len(ts)-1].Slug
	}
	slices.SortFunc(all, func(x, y ranked) int { return strings.Compare(string(x.rank[:]), string(y.rank[:])) })
	out := ListTenantsResult{Total: len(all), Tenants: []string{}}
	for _, r := range all[:min(in.Sample, len(all))] {
		out.Tenants = append(out.Tenants, r.slug)
	}
	slices.Sort(out.Tenants)
	return out, nil
}

// SampleRank is a tenant's place in the sample drawn with seed: lower is
// chosen first.
func SampleRank(seed, slug string) [32]byte {
	return sha256.Sum256([]byte(seed + "\x00" + slug))
}

func checkSlug(slug string) error {
	if err := tenant.ValidateSlug(slug); err != nil {
		return nonRetryable(ErrTypeInvalidInput, err)
	}
	return nil
}
