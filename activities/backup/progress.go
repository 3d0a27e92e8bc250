package backup

import (
	"context"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
)

// Progress is the heartbeat detail of the long activities (BackupTenant,
// RestoreTenant, VerifyRestore), shown in the Web UI's pending activity.
type Progress struct {
	Phase       string // "snapshot", "dump", "files"; "pre-data", "load", "post-data"; "verify"
	TablesDone  int64
	TablesTotal int64
	Rows        int64
	Bytes       int64 // uncompressed COPY bytes so far
}

// progress is updated by concurrent table workers.
type progress struct {
	phase                      atomic.Value // string
	total, tables, rows, bytes atomic.Int64
}

func newProgress(phase string, total int) *progress {
	p := &progress{}
	p.phase.Store(phase)
	p.total.Store(int64(total))
	return p
}

func (p *progress) snapshot() Progress {
	return Progress{Phase: p.phase.Load().(string), TablesDone: p.tables.Load(), TablesTotal: p.total.Load(),
		Rows: p.rows.Load(), Bytes: p.bytes.Load()}
}

// heartbeatEvery is short enough for any heartbeat timeout a caller would
// set on these activities (the SDK throttles what reaches the server).
const heartbeatEvery = 5 * time.Second

// heartbeat reports p now and then until stop is called. Outside an
// activity (tests, tools calling the methods directly) it does nothing.
func heartbeat(ctx context.Context, p *progress) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	activity.RecordHeartbeat(ctx, p.snapshot())
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx, p.snapshot())
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
