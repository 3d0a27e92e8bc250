package backup

import (
	"context"
	"sync"
)

// forEach runs fn(ctx, i) for i in [0, n) on at most workers goroutines. The
// first error cancels the context the others run with and is returned,
// unless a non-retryable one follows: that one says more (the others are
// often just the cancellation).
func forEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil || (nonRetryableErr(err) && !nonRetryableErr(first)) {
						first = err
					}
					mu.Unlock()
					cancel()
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil {
		return ctx.Err() // the parent's cancellation, if any
	}
	return first
}
