package workers

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/interceptor"
)

// recordingOutbound stands for the SDK's end of the outbound chain: it
// keeps every heartbeat's details in order.
type recordingOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	mu   sync.Mutex
	seen []string
}

func (r *recordingOutbound) RecordHeartbeat(_ context.Context, details ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, fmt.Sprint(details...))
}

func (r *recordingOutbound) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

// fakeActivity is the end of the inbound chain: Init receives the outbound
// the activity would use, ExecuteActivity runs body with it.
type fakeActivity struct {
	interceptor.ActivityInboundInterceptorBase
	out  interceptor.ActivityOutboundInterceptor
	body func(ctx context.Context, out interceptor.ActivityOutboundInterceptor)
}

func (f *fakeActivity) Init(o interceptor.ActivityOutboundInterceptor) error { f.out = o; return nil }
func (f *fakeActivity) ExecuteActivity(ctx context.Context, _ *interceptor.ExecuteActivityInput) (any, error) {
	f.body(ctx, f.out)
	return nil, nil
}

// The automatic heartbeat must not erase what an activity heartbeated
// itself: the server keeps only the latest details, and the LLM activity's
// streamed text (and the answer a retry resumes from) live there.
func TestHeartbeatInterceptorKeepsActivityDetails(t *testing.T) {
	sdk := &recordingOutbound{}
	act := &fakeActivity{body: func(ctx context.Context, out interceptor.ActivityOutboundInterceptor) {
		time.Sleep(70 * time.Millisecond) // automatic heartbeats with nothing recorded yet
		out.RecordHeartbeat(ctx, "partial text")
		time.Sleep(150 * time.Millisecond) // automatic heartbeats repeat it
		out.RecordHeartbeat(ctx, "more text")
		time.Sleep(70 * time.Millisecond)
	}}
	in := (&HeartbeatInterceptor{Interval: 20 * time.Millisecond}).InterceptActivity(context.Background(), act)
	if err := in.Init(sdk); err != nil {
		t.Fatal(err)
	}
	if _, err := in.ExecuteActivity(context.Background(), &interceptor.ExecuteActivityInput{}); err != nil {
		t.Fatal(err)
	}
	seen := sdk.calls()
	state, repeats := "", 0
	for _, s := range seen {
		switch {
		case s == "partial text" && state == "":
			state = "partial"
		case s == "partial text" && state == "partial":
			repeats++
		case s == "more text":
			state = "more"
		case s == "" && state == "":
		default:
			t.Fatalf("heartbeat %q out of order (after %q): %q", s, state, seen)
		}
	}
	if state != "more" || repeats < 3 {
		t.Fatalf("want the activity's details repeated by the automatic heartbeats, saw %q", seen)
	}
}
