package workflows

// The billing family: BillingCycle (started by the billing-cycle schedule or
// POST /v1/billing/cycles) fans out to one TenantInvoice child per billable
// tenant. Task queue, kind and the cycle's workflow type and input live in
// schedule_contract.go with the other scheduled families.

// TenantInvoiceWorkflow is the child that bills one tenant for one period.
const TenantInvoiceWorkflow = "TenantInvoice"

// Cycle tuning. A run starts at most MaxInFlight children at once and
// continues as new after ContinueEvery tenants, so its history stays a few
// thousand events however many tenants there are.
const (
	DefaultBillingMaxInFlight   = 10
	DefaultBillingContinueEvery = 500
	// billingPageSize is how many tenants one BillingListTenants call returns.
	billingPageSize = 100
)

// BillingCycleWorkflowID is the ID the API gives a cycle it starts, so the
// same period requested twice is the same run. (Scheduled runs get the
// schedule's ID with a timestamp; their children still de-duplicate.)
func BillingCycleWorkflowID(period string) string { return "billing/" + period }

// InvoiceWorkflowID is the child's ID: one per tenant and period, which is
// what lets Temporal refuse a second invoice run that already completed.
func InvoiceWorkflowID(tenant, period string) string { return "invoice/" + tenant + "/" + period }

// TenantInvoice step names, in order.
const (
	StepCompute = "compute"
	StepWrite   = "write"
	StepRender  = "render"
	StepNotify  = "notify"
)

// InvoiceSteps lists the TenantInvoice steps in order.
var InvoiceSteps = []string{StepCompute, StepWrite, StepRender, StepNotify}

// Error types of the billing workflows' own failures.
const (
	ErrTypeBillingInvalidInput = "BillingInvalidInput"
	ErrTypeBillingPeriodOpen   = "BillingPeriodOpen"
	ErrTypeInvoiceFailed       = "TenantInvoiceFailed"
	ErrTypeBillingListFailed   = "BillingListFailed"
)

// TenantInvoiceInput names the tenant and the period ("YYYY-MM").
type TenantInvoiceInput struct {
	Tenant string
	Period string
}

// TenantInvoiceResult is what one tenant's run produced. InvoiceID is the
// same on every run for the tenant and period; Created is false when an
// earlier run (or an earlier attempt) had already written the invoice.
// TotalMinor and Currency are those of the invoice as computed by this run:
// when Created is false they are the recomputation, which equals the issued
// invoice unless usage arrived after it was issued (the issued one stands;
// BillingWriteInvoice logs the difference).
type TenantInvoiceResult struct {
	InvoiceID  string `json:"invoiceId"`
	Created    bool   `json:"created"`
	TotalMinor int64  `json:"totalMinor"`
	Currency   string `json:"currency"`
	JSONKey    string `json:"jsonKey"`
	HTMLKey    string `json:"htmlKey"`
	Notified   bool   `json:"notified"`
}

// TenantFailure is one tenant the cycle could not bill.
type TenantFailure struct {
	Tenant string `json:"tenant"`
	Error  string `json:"error"`
	// Type is the application error type when there is one (for example
	// BillingNoSubscription), so operators can group failures.
	Type string `json:"type,omitempty"`
}

// BillingCycleResult lists, in slug order, every tenant billed and every
// tenant that failed. A failed tenant does not fail the cycle: re-running
// the cycle for the period retries exactly the tenants whose TenantInvoice
// did not complete.
type BillingCycleResult struct {
	Period   string          `json:"period"`
	Invoiced []string        `json:"invoiced"`
	Failed   []TenantFailure `json:"failed"`
	// Existing is the part of Invoiced whose TenantInvoice had already
	// completed for the period (an earlier cycle), so none was started.
	Existing []string `json:"existing,omitempty"`
	// Runs is how many workflow runs the cycle took (continue-as-new).
	Runs int `json:"runs"`
}

// BillingCycleCarry is what a BillingCycle run hands to its continuation:
// the last tenant handled (the next run lists after it) and the results so
// far. Callers leave it nil.
type BillingCycleCarry struct {
	After    string
	Invoiced []string
	Existing []string
	Failed   []TenantFailure
	Runs     int
}

// BillingCycleProgress answers QueryProgress on a BillingCycle.
type BillingCycleProgress struct {
	Period   string   `json:"period"`
	Status   string   `json:"status"` // running, completed, failed, cancelled
	Stage    string   `json:"stage"`
	InFlight []string `json:"inFlight"`
	Invoiced int      `json:"invoiced"`
	Existing int      `json:"existing"`
	Failed   int      `json:"failed"`
	Run      int      `json:"run"`
}
