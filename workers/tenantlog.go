package workers

import (
	"context"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"github.com/rigger-platform/rigger/workflows"
)

// tenantHeader carries a workflow's tenant to the activities it schedules.
// Activities cannot read their workflow's search attributes, and their
// inputs name the tenant in different fields (or not at all).
const tenantHeader = "rigger-tenant"

// TenantLogInterceptor adds a "tenant" key to every workflow and activity
// logger, beside the SDK's own WorkflowID and RunID (and ActivityID...), so
// a tenant's log lines can be found in any log store by one field.
//
// A workflow's tenant is its RiggerTenant search attribute: the API and
// parent workflows set it when they start a run, and workflows upsert it, so
// it is the one place every tenant-scoped run records its tenant. It is read
// each time the workflow asks for its logger, which is deterministic (search
// attributes are replayed from history). The workflow passes it on to each
// activity it schedules in a Temporal header; headers are not part of
// replay's command matching, so this changes no workflow's history
// compatibility. Platform-wide runs (a billing cycle, a DR drill) have no
// tenant and log without the key.
type TenantLogInterceptor struct {
	interceptor.WorkerInterceptorBase
}

func (*TenantLogInterceptor) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	i := &tenantWorkflowInbound{}
	i.Next = next
	return i
}

func (*TenantLogInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &tenantActivityInbound{}
	i.Next = next
	return i
}

type tenantWorkflowInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (i *tenantWorkflowInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	o := &tenantWorkflowOutbound{}
	o.Next = outbound
	return i.Next.Init(o)
}

type tenantWorkflowOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

// workflowTenant is the run's RiggerTenant, "" when it has none.
func workflowTenant(ctx workflow.Context) string {
	t, _ := workflow.GetTypedSearchAttributes(ctx).GetKeyword(workflows.SearchTenant)
	return t
}

func (o *tenantWorkflowOutbound) GetLogger(ctx workflow.Context) log.Logger {
	l := o.Next.GetLogger(ctx)
	if t := workflowTenant(ctx); t != "" {
		return log.With(l, "tenant", t)
	}
	return l
}

func (o *tenantWorkflowOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	passTenant(ctx)
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

func (o *tenantWorkflowOutbound) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	passTenant(ctx)
	return o.Next.ExecuteLocalActivity(ctx, activityType, args...)
}

// passTenant writes the run's tenant into the header of the activity being
// scheduled.
func passTenant(ctx workflow.Context) {
	t := workflowTenant(ctx)
	h := interceptor.WorkflowHeader(ctx)
	if t == "" || h == nil {
		return
	}
	if p, err := converter.GetDefaultDataConverter().ToPayload(t); err == nil {
		h[tenantHeader] = p
	}
}

type tenantActivityInbound struct {
	interceptor.ActivityInboundInterceptorBase
	tenant string // from the header, set before the activity runs
}

func (i *tenantActivityInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	o := &tenantActivityOutbound{in: i}
	o.Next = outbound
	return i.Next.Init(o)
}

func (i *tenantActivityInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	if p := interceptor.Header(ctx)[tenantHeader]; p != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &i.tenant)
	}
	return i.Next.ExecuteActivity(ctx, in)
}

type tenantActivityOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	in *tenantActivityInbound
}

func (o *tenantActivityOutbound) GetLogger(ctx context.Context) log.Logger {
	l := o.Next.GetLogger(ctx)
	if o.in.tenant != "" {
		return log.With(l, "tenant", o.in.tenant)
	}
	return l
}
