package workers

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/interceptor"
)

// HeartbeatInterceptor heartbeats every running activity on an interval, so
// the workflows can set a short HeartbeatTimeout on all of them: when a
// worker dies, its activities are retried on another worker within seconds
// instead of after their whole start-to-close timeout.
type HeartbeatInterceptor struct {
	interceptor.WorkerInterceptorBase
	Interval time.Duration
}

func (h *HeartbeatInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &heartbeatInbound{interval: h.Interval}
	i.Next = next
	return i
}

type heartbeatInbound struct {
	interceptor.ActivityInboundInterceptorBase
	interval time.Duration

	// mu orders the activity's own heartbeats and the automatic ones, so
	// an automatic heartbeat never lands after (and replaces) a newer one.
	mu      sync.Mutex
	details []any     // what the activity last recorded
	last    time.Time // when any heartbeat was last recorded
	next    interceptor.ActivityOutboundInterceptor
}

// Init puts detailsKeeper in the activity's outbound chain, so the
// automatic heartbeat repeats what the activity itself last recorded. The
// server keeps only the latest heartbeat's details: an empty automatic one
// would erase an activity's progress (the LLM activity's streamed text and
// the answer a retry resumes from).
func (h *heartbeatInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	k := &detailsKeeper{in: h}
	k.Next, h.next = outbound, outbound
	return h.Next.Init(k)
}

type detailsKeeper struct {
	interceptor.ActivityOutboundInterceptorBase
	in *heartbeatInbound
}

func (k *detailsKeeper) RecordHeartbeat(ctx context.Context, details ...any) {
	k.in.mu.Lock()
	defer k.in.mu.Unlock()
	k.in.details, k.in.last = details, time.Now()
	k.Next.RecordHeartbeat(ctx, details...)
}

func (h *heartbeatInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (interface{}, error) {
	interval := h.interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				h.beat(ctx, done, interval)
			}
		}
	}()
	return h.Next.ExecuteActivity(ctx, in)
}

// beat records a heartbeat unless the activity recorded one within the
// interval, repeating the activity's last details.
func (h *heartbeatInbound) beat(ctx context.Context, done chan struct{}, interval time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-done: // the activity returned: a heartbeat now would be stray
		return
	default:
	}
	if h.next == nil || time.Since(h.last) < interval {
		return
	}
	h.last = time.Now()
	h.next.RecordHeartbeat(ctx, h.details...)
}
