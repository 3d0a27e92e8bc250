package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"
)

// ScaffolderSlots is a tenant's semaphore (scaffold-slots/<tenant>): runs
// signal SignalSlotAcquire and wait for SignalSlotGranted; at most Limit hold
// a slot, the rest wait in FIFO order. A run signals SignalSlotRelease when
// it ends, however it ends. A holder that vanished without releasing (a
// terminated workflow) is found by pinging holders while others wait: a
// signal to a closed workflow fails. The semaphore ends after an idle hour
// (the next run starts it again) and continues as new to bound its history.
func ScaffolderSlots(ctx workflow.Context, st SlotsState) error {
	if err := workflow.SetQueryHandler(ctx, QuerySlots, func() (SlotsState, error) { return st, nil }); err != nil {
		return err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchTenant.ValueSet(st.Tenant), SearchKind.ValueSet(KindScaffolder+"-slots")); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
	acquire := workflow.GetSignalChannel(ctx, SignalSlotAcquire)
	release := workflow.GetSignalChannel(ctx, SignalSlotRelease)
	s := &slots{st: &st}
	handled := 0
	for {
		idle := false
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(acquire, func(c workflow.ReceiveChannel, _ bool) {
			var req SlotRequest
			c.Receive(ctx, &req)
			s.acquire(req)
			handled++
		})
		sel.AddReceive(release, func(c workflow.ReceiveChannel, _ bool) {
			var req SlotRequest
			c.Receive(ctx, &req)
			s.release(req.WorkflowID)
			handled++
		})
		switch {
		case len(st.Holders) == 0 && len(st.Queue) == 0:
			sel.AddFuture(workflow.NewTimer(ctx, time.Hour), func(workflow.Future) { idle = true })
		case len(st.Queue) > 0:
			sel.AddFuture(workflow.NewTimer(ctx, time.Minute), func(workflow.Future) { s.reap(ctx) })
		}
		sel.Select(ctx)
		s.grant(ctx)
		if idle || handled >= 1000 {
			// Take whatever arrived meanwhile before ending this run.
			for drained := false; !drained; {
				var req SlotRequest
				switch {
				case acquire.ReceiveAsync(&req):
					s.acquire(req)
				case release.ReceiveAsync(&req):
					s.release(req.WorkflowID)
				default:
					drained = true
				}
			}
			s.grant(ctx)
			if len(st.Holders) == 0 && len(st.Queue) == 0 && idle {
				return nil
			}
			if handled >= 1000 {
				return workflow.NewContinueAsNewError(ctx, ScaffolderSlotsWorkflow, st)
			}
		}
	}
}

type slots struct{ st *SlotsState }

func (s *slots) acquire(req SlotRequest) {
	if req.Limit > 0 {
		s.st.Limit = req.Limit
	}
	if slices.Contains(s.st.Holders, req.WorkflowID) {
		s.st.Queue = slices.DeleteFunc(s.st.Queue, func(q string) bool { return q == req.WorkflowID })
		s.st.Queue = append([]string{req.WorkflowID}, s.st.Queue...) // re-grant at once
		s.st.Holders = slices.DeleteFunc(s.st.Holders, func(h string) bool { return h == req.WorkflowID })
		return
	}
	if !slices.Contains(s.st.Queue, req.WorkflowID) {
		s.st.Queue = append(s.st.Queue, req.WorkflowID)
	}
}

func (s *slots) release(id string) {
	s.st.Holders = slices.DeleteFunc(s.st.Holders, func(h string) bool { return h == id })
	s.st.Queue = slices.DeleteFunc(s.st.Queue, func(q string) bool { return q == id })
}

// grant hands free slots to the head of the queue. A run that is gone
// (the signal fails) loses its place.
func (s *slots) grant(ctx workflow.Context) {
	limit := s.st.Limit
	if limit <= 0 {
		limit = 1
	}
	for len(s.st.Holders) < limit && len(s.st.Queue) > 0 {
		next := s.st.Queue[0]
		s.st.Queue = s.st.Queue[1:]
		if err := workflow.SignalExternalWorkflow(ctx, next, "", SignalSlotGranted, nil).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("slot holder is gone", "workflow", next, "error", err)
			continue
		}
		s.st.Holders = append(s.st.Holders, next)
	}
}

// reap drops holders that no longer run.
func (s *slots) reap(ctx workflow.Context) {
	kept := s.st.Holders[:0:0]
	for _, h := range s.st.Holders {
		if err := workflow.SignalExternalWorkflow(ctx, h, "", SignalSlotPing, nil).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("releasing the slot of a run that is gone", "workflow", h, "error", err)
			continue
		}
		kept = append(kept, h)
	}
	s.st.Holders = kept
}
