package llm

import (
	"context"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
)

// heartbeater records Progress every interval while a call runs: partial
// text for whoever watches the task, and liveness, so that a
// HeartbeatTimeout catches a dead worker and cancellation reaches a
// non-streaming call too. Outside an activity (direct calls) it only keeps
// the text.
type heartbeater struct {
	ctx  context.Context
	text atomic.Pointer[string]
	stop chan struct{}
	done chan struct{}
}

func startHeartbeats(ctx context.Context, every time.Duration) *heartbeater {
	h := &heartbeater{ctx: ctx, stop: make(chan struct{}), done: make(chan struct{})}
	if !activity.IsActivity(ctx) {
		close(h.done)
		return h
	}
	go func() {
		defer close(h.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				p := Progress{}
				if s := h.text.Load(); s != nil {
					p.Text = *s
				}
				activity.RecordHeartbeat(ctx, p)
			}
		}
	}()
	return h
}

// set publishes the text so far; cheap enough to call per chunk.
func (h *heartbeater) set(text string) { h.text.Store(&text) }

// finish stops the ticker and, on success, records the whole result: the
// SDK flushes the last heartbeat when an attempt fails, so a retry after a
// failure to record usage finds the answer instead of paying for it again.
func (h *heartbeater) finish(res *CompleteResult) {
	select {
	case <-h.done:
	default:
		close(h.stop)
		<-h.done
	}
	if res != nil && activity.IsActivity(h.ctx) {
		activity.RecordHeartbeat(h.ctx, Progress{Text: res.Text, Result: res})
	}
}

// resumed returns the result a previous attempt of this activity obtained
// but did not deliver.
func resumed(ctx context.Context) (CompleteResult, bool) {
	if !activity.IsActivity(ctx) || !activity.HasHeartbeatDetails(ctx) {
		return CompleteResult{}, false
	}
	var p Progress
	if err := activity.GetHeartbeatDetails(ctx, &p); err != nil || p.Result == nil {
		return CompleteResult{}, false
	}
	return *p.Result, true
}
