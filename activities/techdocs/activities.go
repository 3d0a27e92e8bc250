package techdocs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/store"
	site "github.com/rigger-platform/rigger/internal/techdocs"
	"github.com/rigger-platform/rigger/internal/tenant"
)

// Application error types. Everything a retry cannot fix is non-retryable:
// a broken source fails the build at once instead of five times.
const (
	ErrTypeInvalidInput     = "TechDocsInvalidInput"
	ErrTypeNotConfigured    = "TechDocsNotConfigured"
	ErrTypeSourceNotAllowed = "TechDocsSourceNotAllowed"
	ErrTypeSourceNotFound   = "TechDocsSourceNotFound"
	ErrTypeSourceDenied     = "TechDocsSourceAccessDenied"
	ErrTypeSourceTooLarge   = "TechDocsSourceTooLarge"
	ErrTypeNoConfig         = "TechDocsNoMkDocsConfig"
	ErrTypeInvalidSource    = "TechDocsInvalidSource"
	ErrTypeStrict           = "TechDocsStrictFailed"
	ErrTypeStaging          = "TechDocsStagingBroken"
	ErrTypeUnknownTenant    = "TechDocsUnknownTenant"
	// ErrTypeGitUnavailable is retryable: the git host did not answer.
	ErrTypeGitUnavailable = "TechDocsGitUnavailable"
)

// NonRetryableErrorTypes lists the types above that no retry can fix; the
// workflow names them in its retry policies too.
var NonRetryableErrorTypes = []string{
	ErrTypeInvalidInput, ErrTypeNotConfigured, ErrTypeSourceNotAllowed, ErrTypeSourceNotFound, ErrTypeSourceDenied,
	ErrTypeSourceTooLarge, ErrTypeNoConfig, ErrTypeInvalidSource, ErrTypeStrict, ErrTypeStaging, ErrTypeUnknownTenant,
}

// Activities are registered on the techdocs task queue.
type Activities struct {
	// Objects holds the sites (tenant-scoped through storage.Scoped).
	Objects storage.Store
	// Store records builds and usage; nil skips both (tests of the build
	// and publish steps alone).
	Store *store.Store
	// Git says which repositories may be cloned, with which credentials.
	Git GitAccess
	// SourceRoot enables path sources: a tenant's path is resolved under
	// SourceRoot/<tenant>/. Empty refuses path sources.
	SourceRoot string
	// TempDir holds clones while they build (empty: os.TempDir()).
	TempDir string
}

// Source is where a site's sources come from: a git repository (URL and
// ref, checked out at the build's commit) or a folder under the worker's
// SourceRoot. DocsPath is the folder inside it that holds mkdocs.yml.
type Source struct {
	GitURL   string `json:",omitempty"`
	Ref      string `json:",omitempty"`
	Path     string `json:",omitempty"`
	DocsPath string `json:",omitempty"`
}

// Describe is the source as recorded in the build table (no credentials:
// URLs with credentials are refused before they get here).
func (s Source) Describe() string {
	d := s.GitURL
	if d == "" {
		d = "path:" + s.Path
	}
	if s.DocsPath != "" {
		d += "#" + s.DocsPath
	}
	return d
}

// BuildKey names one build.
type BuildKey struct {
	Tenant    string
	Namespace string
	Kind      string
	Name      string
	// Commit is the git commit SHA, or a label for a path source.
	Commit string
}

func (k BuildKey) entity() (Entity, error) { return NewEntity(k.Namespace, k.Kind, k.Name) }

func (k BuildKey) check() (Entity, error) {
	if err := tenant.ValidateSlug(k.Tenant); err != nil {
		return Entity{}, nonRetryable(ErrTypeInvalidInput, err)
	}
	e, err := k.entity()
	if err != nil {
		return Entity{}, nonRetryable(ErrTypeInvalidInput, err)
	}
	if !ValidCommitLabel(k.Commit) {
		return Entity{}, nonRetryable(ErrTypeInvalidInput, fmt.Errorf("commit %q must be a commit SHA or a label of letters, digits, . _ -", k.Commit))
	}
	return e, nil
}

// ValidCommitLabel accepts what may stand in the commit slot of a build:
// lower-case, at most 64 characters.
func ValidCommitLabel(c string) bool {
	if c == "" || len(c) > 64 || c != strings.ToLower(c) {
		return false
	}
	for i, r := range c {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (i > 0 && (r == '.' || r == '_' || r == '-'))
		if !ok {
			return false
		}
	}
	return true
}

// ---- record ----

type RecordStartInput struct {
	BuildKey
	WorkflowID  string
	Source      string
	Ref         string
	Trigger     string
	RequestedAt time.Time
}

type RecordStartResult struct{}

// TechDocsRecordStart records the build as running.
func (a *Activities) TechDocsRecordStart(ctx context.Context, in RecordStartInput) (RecordStartResult, error) {
	e, err := in.check()
	if err != nil {
		return RecordStartResult{}, err
	}
	if a.Store == nil {
		return RecordStartResult{}, nil
	}
	err = a.Store.StartTechDocsBuild(ctx, store.TechDocsBuild{
		Tenant: in.Tenant, Entity: e.String(), Commit: in.Commit, WorkflowID: in.WorkflowID, Source: in.Source,
		Ref: in.Ref, Trigger: in.Trigger, RequestedAt: in.RequestedAt,
	})
	return RecordStartResult{}, dbError(err)
}

type RecordFinishInput struct {
	BuildKey
	Status string // store.TechDocsPublished, TechDocsSuperseded or TechDocsFailed
	Files  int
	Error  string
}

type RecordFinishResult struct{}

// TechDocsRecordFinish records the outcome.
func (a *Activities) TechDocsRecordFinish(ctx context.Context, in RecordFinishInput) (RecordFinishResult, error) {
	e, err := in.check()
	if err != nil {
		return RecordFinishResult{}, err
	}
	if a.Store == nil {
		return RecordFinishResult{}, nil
	}
	msg := in.Error
	if len(msg) > 4000 {
		msg = msg[:4000]
	}
	err = a.Store.FinishTechDocsBuild(ctx, in.Tenant, e.String(), in.Commit, in.Status, in.Files, msg)
	if errors.Is(err, store.ErrNotFound) {
		return RecordFinishResult{}, nonRetryable(ErrTypeInvalidInput, err)
	}
	return RecordFinishResult{}, dbError(err)
}

// ---- build into staging ----

type StageInput struct {
	BuildKey
	Source Source
	Strict bool
}

type StageResult struct {
	// Commit is the commit built (git) or the label (path).
	Commit   string
	Etag     string
	SiteName string
	Pages    int
	Files    int
	Bytes    int64
	// Warnings counts every warning; FirstWarnings holds the first few
	// (the build row holds them all, up to store.MaxTechDocsWarnings).
	Warnings      int
	FirstWarnings []string
	SourceBytes   int64
	BuildMillis   int64
}

// maxWarningsInHistory keeps workflow histories small.
const maxWarningsInHistory = 20

// TechDocsStage fetches the source, builds it and writes the site under
// the build's staging prefix. It starts by clearing that prefix, so a
// retried attempt never mixes with a failed one's files.
func (a *Activities) TechDocsStage(ctx context.Context, in StageInput) (StageResult, error) {
	start := time.Now()
	e, err := in.check()
	if err != nil {
		return StageResult{}, err
	}
	if a.Objects == nil {
		return StageResult{}, nonRetryable(ErrTypeNotConfigured, errors.New("storage is not configured"))
	}
	heartbeat := func(details ...any) {
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, details...)
		}
	}
	srcDir, res, cleanup, err := a.fetch(ctx, in, heartbeat)
	defer cleanup()
	if err != nil {
		return StageResult{}, err
	}
	docsDir, err := CheckSubdir(srcDir, in.Source.DocsPath)
	if err != nil {
		return StageResult{}, sourceError(err)
	}
	if !hasMkDocsConfig(docsDir) {
		return StageResult{}, nonRetryable(ErrTypeNoConfig, fmt.Errorf("no mkdocs.yml in %s", orDefault(in.Source.DocsPath, "the repository root")))
	}

	scoped := storage.Scoped(a.Objects, in.Tenant)
	staging := StagingPrefix(e, in.Commit)
	if _, err := scoped.DeletePrefix(ctx, staging); err != nil {
		return StageResult{}, storage.Classify(err)
	}
	heartbeat("build")
	sink := &stagingSink{store: scoped, prefix: staging, onPut: func(files int, bytes int64) {
		if files%50 == 0 {
			heartbeat(fmt.Sprintf("staged %d files, %d bytes", files, bytes))
		}
	}}
	etag := ""
	if in.Source.GitURL != "" {
		etag = res.Commit
	}
	built, err := site.Build(ctx, site.Options{
		SourceDir:       docsDir,
		Sink:            sink,
		Strict:          in.Strict,
		Etag:            etag,
		Env:             nil, // never the worker's environment: a tenant's !ENV must not read its secrets
		DefaultSiteName: e.Name,
	})
	if err != nil {
		return StageResult{}, buildError(err)
	}
	_, staged := sink.staged()
	out := StageResult{
		Commit: res.Commit, Etag: built.Etag, SiteName: built.SiteName, Pages: len(built.Pages), Files: len(built.Files),
		Bytes: staged, Warnings: len(built.Warnings), SourceBytes: res.Bytes,
	}
	all := make([]string, len(built.Warnings))
	for i, w := range built.Warnings {
		all[i] = w.String()
	}
	out.FirstWarnings = all[:min(len(all), maxWarningsInHistory)]
	if a.Store != nil {
		if err := a.Store.SetTechDocsWarnings(ctx, in.Tenant, e.String(), in.Commit, out.Pages, all); err != nil {
			return StageResult{}, dbError(err)
		}
	}
	out.BuildMillis = time.Since(start).Milliseconds()
	return out, nil
}

// fetch checks the source out and returns its folder and a cleanup.
func (a *Activities) fetch(ctx context.Context, in StageInput, heartbeat func(...any)) (string, FetchResult, func(), error) {
	nothing := func() {}
	src := in.Source
	switch {
	case src.GitURL != "" && src.Path != "":
		return "", FetchResult{}, nothing, nonRetryable(ErrTypeInvalidInput, errors.New("a source is a git URL or a path, not both"))
	case src.GitURL != "":
		commit := in.Commit
		if !IsCommitSHA(commit) {
			return "", FetchResult{}, nothing, nonRetryable(ErrTypeInvalidInput, fmt.Errorf("git builds need a full commit SHA, not %q", commit))
		}
		tmp, err := os.MkdirTemp(a.TempDir, "rigger-techdocs-")
		if err != nil {
			return "", FetchResult{}, nothing, err
		}
		cleanup := func() { _ = os.RemoveAll(tmp) }
		dir := filepath.Join(tmp, "src")
		res, err := a.Git.Fetch(ctx, src.GitURL, src.Ref, commit, dir, func(s string) { heartbeat(s) })
		if err != nil {
			return "", res, cleanup, sourceError(err)
		}
		return dir, res, cleanup, nil
	case src.Path != "":
		if a.SourceRoot == "" {
			return "", FetchResult{}, nothing, nonRetryable(ErrTypeNotConfigured, errors.New("path sources are disabled on this worker (RIGGER_TECHDOCS_SOURCE_ROOT is not set)"))
		}
		root := filepath.Join(a.SourceRoot, in.Tenant)
		dir, err := CheckSubdir(root, src.Path)
		if err != nil {
			return "", FetchResult{}, nothing, sourceError(err)
		}
		return dir, FetchResult{Commit: in.Commit}, nothing, nil
	}
	return "", FetchResult{}, nothing, nonRetryable(ErrTypeInvalidInput, errors.New("the source needs a git URL or a path"))
}

func hasMkDocsConfig(dir string) bool {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return false
	}
	defer root.Close()
	for _, name := range []string{"mkdocs.yml", "mkdocs.yaml"} {
		if st, err := root.Stat(name); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// ---- publish ----

type PublishInput struct {
	BuildKey
	Etag string
	// RequestedAt orders builds of one entity: a build requested earlier
	// than one already published is not published over it.
	RequestedAt time.Time
}

type PublishResult struct {
	Status        string // store.TechDocsPublished or store.TechDocsSuperseded
	Files         int
	Copied        int
	Deleted       int
	Bytes         int64
	PublishMillis int64
}

// TechDocsPublish moves the staged site to the live prefix (see Publish)
// under the entity's publish lock, unless a newer build is already live.
func (a *Activities) TechDocsPublish(ctx context.Context, in PublishInput) (PublishResult, error) {
	start := time.Now()
	e, err := in.check()
	if err != nil {
		return PublishResult{}, err
	}
	if a.Objects == nil {
		return PublishResult{}, nonRetryable(ErrTypeNotConfigured, errors.New("storage is not configured"))
	}
	scoped := storage.Scoped(a.Objects, in.Tenant)
	staging, live := StagingPrefix(e, in.Commit), SitePrefix(e)
	var out PublishResult
	run := func(newer bool) (int, error) {
		if newer {
			out.Status = store.TechDocsSuperseded
			_, err := scoped.DeletePrefix(ctx, staging)
			return 0, err
		}
		st, err := Publish(ctx, scoped, staging, live, in.Etag, func(done, total int) {
			if activity.IsActivity(ctx) {
				activity.RecordHeartbeat(ctx, fmt.Sprintf("published %d/%d files", done, total))
			}
		})
		out = PublishResult{Status: store.TechDocsPublished, Files: st.Files, Copied: st.Copied, Deleted: st.Deleted, Bytes: st.Bytes}
		return st.Files, err
	}
	if a.Store != nil {
		// The row is marked published (or superseded) under the lock, so
		// a build publishing next sees it; TechDocsRecordFinish repeats it.
		err = a.Store.WithTechDocsPublishLock(ctx, in.Tenant, e.String(), in.Commit, in.RequestedAt, run)
	} else {
		_, err = run(false)
	}
	switch {
	case errors.Is(err, ErrStagingMissing), errors.Is(err, ErrStagingIncomplete):
		return PublishResult{}, nonRetryable(ErrTypeStaging, err)
	case err != nil:
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			return PublishResult{}, dbError(err)
		}
		return PublishResult{}, storage.Classify(err)
	}
	out.PublishMillis = time.Since(start).Milliseconds()
	return out, nil
}

type DiscardInput struct {
	BuildKey
}

type DiscardResult struct {
	Deleted int
}

// TechDocsDiscardStaging removes a build's staging prefix (a failed or
// cancelled run's cleanup). Missing files are not an error.
func (a *Activities) TechDocsDiscardStaging(ctx context.Context, in DiscardInput) (DiscardResult, error) {
	e, err := in.check()
	if err != nil {
		return DiscardResult{}, err
	}
	if a.Objects == nil {
		return DiscardResult{}, nil
	}
	n, err := storage.Scoped(a.Objects, in.Tenant).DeletePrefix(ctx, StagingPrefix(e, in.Commit))
	if err != nil {
		return DiscardResult{}, storage.Classify(err)
	}
	return DiscardResult{Deleted: n}, nil
}

// ---- metering ----

type MeterInput struct {
	BuildKey
	// Millis is the build's compute time (staging and publishing); it is
	// billed in started minutes, at least one.
	Millis     int64
	OccurredAt time.Time
}

type MeterResult struct {
	EventID  string
	Minutes  int64
	Recorded bool // false: an earlier attempt or run recorded it
}

// UsageEventID is the usage event of one build: techdocs/<tenant>/<entity>/<commit>,
// so a repeated build of a commit is billed once.
func UsageEventID(tenant string, e Entity, commit string) string {
	id := "techdocs/" + tenant + "/" + e.String() + "/" + commit
	if len(id) > 200 { // the column's limit; long names are rare
		sum := sha256.Sum256([]byte(id))
		id = "techdocs/" + tenant + "/" + hex.EncodeToString(sum[:16])
	}
	return id
}

// BuildMinutes rounds compute time up to started minutes, at least one.
func BuildMinutes(millis int64) int64 { return max(1, (millis+59_999)/60_000) }

// TechDocsMeter records the build's minutes as a usage event.
func (a *Activities) TechDocsMeter(ctx context.Context, in MeterInput) (MeterResult, error) {
	e, err := in.check()
	if err != nil {
		return MeterResult{}, err
	}
	out := MeterResult{EventID: UsageEventID(in.Tenant, e, in.Commit), Minutes: BuildMinutes(in.Millis)}
	if a.Store == nil {
		return out, nil
	}
	out.Recorded, err = a.Store.RecordUsage(ctx, store.UsageEvent{
		ID: out.EventID, Tenant: in.Tenant, Metric: store.MetricTechDocsBuildMinutes, Quantity: out.Minutes,
		OccurredAt: in.OccurredAt, Source: "techdocs",
	})
	return out, dbError(err)
}

// ---- errors ----

func nonRetryable(typ string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), typ, err)
}

func sourceError(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, ErrSourceNotAllowed):
		return nonRetryable(ErrTypeSourceNotAllowed, err)
	case errors.Is(err, ErrSourceNotFound), errors.Is(err, fs.ErrNotExist):
		return nonRetryable(ErrTypeSourceNotFound, err)
	case errors.Is(err, ErrSourceDenied):
		return nonRetryable(ErrTypeSourceDenied, err)
	case errors.Is(err, ErrSourceTooLarge):
		return nonRetryable(ErrTypeSourceTooLarge, err)
	}
	return temporal.NewApplicationErrorWithCause(err.Error(), ErrTypeGitUnavailable, err)
}

// buildError tells storage failures (retryable) from source problems.
func buildError(err error) error {
	var se *sinkError
	var strict *site.StrictError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, &se):
		return storage.Classify(se.err)
	case errors.As(err, &strict):
		return nonRetryable(ErrTypeStrict, err)
	}
	return nonRetryable(ErrTypeInvalidSource, err)
}

func dbError(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, &pgErr) && pgErr.Code == "23503": // foreign key: no such tenant
		return nonRetryable(ErrTypeUnknownTenant, fmt.Errorf("no tenant for this build: %s", pgErr.Message))
	case errors.As(err, &pgErr) && (pgErr.Code == "23514" || pgErr.Code == "22001"):
		return nonRetryable(ErrTypeInvalidInput, err)
	}
	return err
}
