package techdocs

import "sync"

// shellJob is one page shell to render: a page, or 404.html (p nil).
type shellJob struct {
	p       *page
	content []byte
	title   string
}

// shellQueue renders page shells on worker goroutines in the order the
// writer takes them (name order, one goroutine). Workers stay a bounded
// number of pages ahead of the writer, so the sink rarely waits and a large
// site is never held in memory whole. Every shell carries the whole nav,
// so written shells come back to be rendered into again; with a
// ConcurrentSink they come back from several goroutines, in any order.
type shellQueue struct {
	results []chan shellResult
	slots   chan struct{} // one per page rendered but not yet taken
	free    chan []byte   // written shells' memory
	done    chan struct{}
	wg      sync.WaitGroup
	taken   int
}

type shellResult struct {
	html []byte
	err  error
}

func (b *builder) startShells(jobs []*shellJob) *shellQueue {
	workers := b.workers()
	q := &shellQueue{
		results: make([]chan shellResult, len(jobs)),
		slots:   make(chan struct{}, 4*workers),
		free:    make(chan []byte, 4*workers),
		done:    make(chan struct{}),
	}
	for i := range q.results {
		q.results[i] = make(chan shellResult, 1)
	}
	work := make(chan int)
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		defer close(work)
		for i := range jobs {
			select {
			case q.slots <- struct{}{}:
			case <-q.done:
				return
			}
			select {
			case work <- i:
			case <-q.done:
				return
			}
		}
	}()
	for range min(workers, max(len(jobs), 1)) {
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			for i := range work {
				j := jobs[i]
				var dst []byte
				select {
				case dst = <-q.free:
				default:
				}
				html, err := b.renderShell(dst, j.p, j.content, j.title)
				j.content = nil // its last use: a large site need not hold every body
				if j.p != nil {
					j.p.content = nil
				}
				q.results[i] <- shellResult{html, err}
			}
		}()
	}
	return q
}

// next returns the next shell in job order, waiting for it if needed.
func (q *shellQueue) next() ([]byte, error) {
	r := <-q.results[q.taken]
	q.taken++
	<-q.slots
	return r.html, r.err
}

// recycle takes back a shell next returned, once the sink is done with it;
// any goroutine may call it.
func (q *shellQueue) recycle(html []byte) {
	select {
	case q.free <- html[:0]:
	default:
	}
}

// stop ends the workers; shells not taken are dropped.
func (q *shellQueue) stop() {
	close(q.done)
	q.wg.Wait()
}
