package techdocs

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// putPool runs the writer's Puts: inline for a plain Sink, so it keeps its
// one goroutine and name order, or on up to MaxConcurrentPuts goroutines
// for a ConcurrentSink. The first error stops it: no Put starts after it,
// and those running see their ctx cancelled.
type putPool struct {
	ctx    context.Context
	cancel context.CancelFunc
	slots  chan struct{} // nil: inline
	wg     sync.WaitGroup

	mu  sync.Mutex
	err error
}

func newPutPool(ctx context.Context, sink Sink) *putPool {
	p := &putPool{ctx: ctx, cancel: func() {}}
	if cs, ok := sink.(ConcurrentSink); ok && cs.MaxConcurrentPuts() > 1 {
		p.ctx, p.cancel = context.WithCancel(ctx)
		p.slots = make(chan struct{}, cs.MaxConcurrentPuts())
	}
	return p
}

// run calls put, waiting for a free slot first; false means stop, because
// a Put failed or ctx is done.
func (p *putPool) run(put func(ctx context.Context) error) bool {
	if p.slots == nil {
		if err := put(p.ctx); err != nil {
			p.fail(err)
			return false
		}
		return true
	}
	select {
	case p.slots <- struct{}{}:
		if err := p.ctx.Err(); err != nil { // select picks at random when both are ready
			<-p.slots
			p.fail(err)
			return false
		}
	case <-p.ctx.Done():
		p.fail(p.ctx.Err()) // kept only if ctx itself ended: a failed Put recorded its error first
		return false
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer func() { <-p.slots }()
		// A sink's panic on this goroutine would take the whole worker
		// process down, other tenants' activities with it; inline, it
		// would have reached the activity's own recovery.
		defer func() {
			if r := recover(); r != nil {
				p.fail(fmt.Errorf("techdocs: sink panicked: %v\n%s", r, debug.Stack()))
			}
		}()
		if err := put(p.ctx); err != nil {
			p.fail(err)
		}
	}()
	return true
}

// fail keeps the first error: the ones after it are mostly the cancellation
// it caused.
func (p *putPool) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.cancel()
}

// wait returns once every Put has returned, with the first error.
func (p *putPool) wait() error {
	p.wg.Wait()
	p.cancel()
	return p.err
}
