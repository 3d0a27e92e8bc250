package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/rigger-platform/rigger/activities/controlplane"
)

// brokenOnboarding is TenantOnboarding with its capability read removed: the
// kind of edit that breaks running workflows.
func brokenOnboarding(ctx workflow.Context, in OnboardingInput) (Progress, error) {
	o := &onboarding{in: in, t: newTracker(in.Slug, KindOnboarding, OnboardingSteps)}
	if err := o.t.register(ctx); err != nil {
		return Progress{}, err
	}
	o.caps = controlplane.Capabilities{}
	return o.run(ctx)
}
