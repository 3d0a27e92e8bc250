package workers

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
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
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return h.Next.ExecuteActivity(ctx, in)
}
