// Package scaffold runs Backstage software templates as Temporal
// activities: one activity type per action ("Scaffolder:publish:github",
// ...), each declaring its input and output JSON Schemas (served by
// GET /v2/actions) and, where it changes something outside the workspace,
// an undo. The ScaffolderRun workflow (package workflows) drives them.
//
// # The durable workspace
//
// Backstage keeps a run's workspace in a temporary directory of the backend
// that runs it; when that process dies, the run is lost. In Rigger a step
// may run on any worker, and a step may be retried on another worker after
// the first one died, so the workspace cannot live on a worker's disk.
//
// Instead, the workspace lives in the tenant's object storage, as one
// snapshot per step that changed it: a deterministic zstd-compressed tar
// (entries in path order, no timestamps) under
//
//	tenants/<slug>/scaffolder/<task>/<run>/<step>.<iteration>.tar.zst
//
// The workflow owns the chain of snapshots: before a step runs it chooses
// the key the step starts from (the previous step's result) and the key the
// step may write (from the step's index and iteration, fixed in advance).
// A step activity restores its starting snapshot into memory, runs the
// action against it, and, only if the action changed it, stores the whole
// workspace under its own key. The key goes back to the workflow in the
// activity's result, so history records which snapshot each step produced.
//
// That gives the three properties a crash-tolerant run needs:
//   - any worker can run any step: the input is a key in shared storage,
//     not a directory on some machine;
//   - a retried step starts from exactly what its first attempt started
//     from (the previous snapshot is never modified), and overwrites its own
//     key with the same content, so a half-finished attempt leaves nothing a
//     retry could trip over;
//   - the result is the same as without the crash: rendering is
//     deterministic, and every side effect converges (a repository this run
//     created is recognised by its run marker and adopted, a push that
//     already happened is a no-op because the tree is unchanged, an open
//     pull request for the branch is reused, a catalog location is upserted).
//
// Workspaces are held in memory (bounded by MaxWorkspaceBytes); a worker
// keeps recently written snapshots in an LRU cache so consecutive steps on
// the same worker skip the download. Steps that only read the workspace
// (publish, catalog:register, debug:log) write no snapshot. When the run
// ends, however it ends, its snapshots are deleted. Template files are read
// from the tenant's template location pinned at submission (a git location
// is resolved to a commit then), so every step of a run, on every worker,
// renders the same template.
//
// Dry runs need none of this: nothing leaves the workspace, so the whole
// template runs in one activity (ScaffolderDryRun) and a retry simply runs
// it again; side-effecting actions report the outputs they would have.
//
// # Undo
//
// After every step whose action has an undo (publish:* deletes the
// repository or closes the pull/merge request and deletes its branch,
// catalog:register unregisters, argocd:create-resources deletes the
// Application), the workflow pushes an undo carrying the step's rendered
// input and the data the action recorded. The undo is pushed even when the
// step failed, because a step may fail after part of its work (a repository
// created, then the push failed): every undo works from the input when it
// has no data, checks that what it would remove is this run's (run marker,
// task ID, created-by annotation), and treats "already gone" as success. A
// template opts out with spec.rigger.rollback: false, a step with
// rigger: {undo: false}.
package scaffold
