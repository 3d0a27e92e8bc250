package argocd

import (
	"context"

	"go.temporal.io/sdk/activity"
)

// CreatedByAnnotation records which workflow run created an object. Created
// in the results must survive retries: when an attempt creates the Application
// and then fails, the next attempt finds it existing, yet it is still this
// run's to compensate. Outside a run (tests, tools) nothing is recorded.
const CreatedByAnnotation = "rigger.dev/created-by-run"

func currentRun(ctx context.Context) string {
	if !activity.IsActivity(ctx) {
		return ""
	}
	we := activity.GetInfo(ctx).WorkflowExecution
	if we.ID == "" {
		return "" // started directly by a client, not by a workflow
	}
	return we.ID + "/" + we.RunID
}
