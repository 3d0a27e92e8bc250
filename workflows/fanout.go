package workflows

import "go.temporal.io/sdk/workflow"

// fanOutLoop is the loop the tenant fan-outs share (the billing cycle,
// backups of every tenant, DR drills): list tenants a page at a time after
// the run's cursor, start one child each with at most max in flight, and
// stop to continue as new after every children (or when the server suggests
// it) so history stays bounded. The callers keep their own cursor, results,
// child options and endings; the loop only orders the commands.
type fanOutLoop struct {
	max, every, pageSize int
	// list returns up to limit tenants after the caller's cursor; next is ""
	// after the last page.
	list func(limit int) (page []string, next string, err error)
	// start starts tenant's child, adds its future to sel and advances the
	// cursor; handled and inFlight must reflect it.
	start    func(sel workflow.Selector, tenant string)
	handled  func() int // children this run started
	inFlight func() int // children started and not yet finished
}

type fanOutEnd int

const (
	// fanOutDone: every listed tenant's child has finished, or the run was
	// cancelled (ctx.Err() tells) and the children started have finished.
	fanOutDone fanOutEnd = iota
	// fanOutContinue: the children have finished; continue as new.
	fanOutContinue
	// fanOutListFailed: listing failed (the error); the children started
	// have finished.
	fanOutListFailed
)

func (l fanOutLoop) run(ctx workflow.Context) (fanOutEnd, error) {
	sel := workflow.NewSelector(ctx)
	// wait blocks until at most limit children are in flight: wait(max-1)
	// frees a slot, wait(0) drains. Each Select runs one child's callback.
	wait := func(limit int) {
		for l.inFlight() > limit {
			sel.Select(ctx)
		}
	}
	for ctx.Err() == nil {
		page, next, err := l.list(min(l.pageSize, l.every-l.handled()))
		if err != nil && ctx.Err() != nil {
			break // cancelled: the caller reports it
		}
		if err != nil {
			wait(0)
			return fanOutListFailed, err
		}
		for _, tenant := range page {
			if ctx.Err() != nil {
				break
			}
			wait(l.max - 1)
			l.start(sel, tenant)
		}
		if next == "" || ctx.Err() != nil {
			break
		}
		if l.handled() >= l.every || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			wait(0)
			return fanOutContinue, nil
		}
	}
	wait(0)
	return fanOutDone, nil
}
