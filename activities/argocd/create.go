package argocd

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rigger-platform/rigger/internal/tenant"
)

type CreateApplicationInput struct {
	Slug    string
	RepoURL string
	// Path inside the repository; the repository root when empty.
	Path string
	// Revision is a branch, tag or commit; HEAD when empty.
	Revision string
}

type CreateApplicationResult struct {
	Name string
	// Created is true when this workflow run created the Application, in
	// this attempt or an earlier one (see CreatedByAnnotation), so deleting
	// it is a compensation the run owns; false when it existed before the
	// run. Called outside a workflow, it reports whether this call created it.
	Created bool
}

// Races with another writer surface as AlreadyExists or Conflict; re-reading
// resolves them, and a few rounds are plenty for an object only Rigger writes.
const maxRounds = 5

// ArgoCreateApplication creates the tenant's Application or converges an
// existing one to the desired spec, so retries and repeated runs are
// harmless.
func (a *Activities) ArgoCreateApplication(ctx context.Context, in CreateApplicationInput) (CreateApplicationResult, error) {
	if !a.Configured() {
		return CreateApplicationResult{}, notConfigured()
	}
	if err := tenant.ValidateSlug(in.Slug); err != nil {
		return CreateApplicationResult{}, invalid(err.Error())
	}
	if in.RepoURL == "" {
		return CreateApplicationResult{}, invalid("application needs a repository URL")
	}
	desired := a.desiredApplication(in.Slug, in.RepoURL, in.Path, or(in.Revision, "HEAD"))
	run := currentRun(ctx)
	if run != "" {
		desired.Annotations = map[string]string{CreatedByAnnotation: run}
	}
	apps := a.Client.ArgoprojV1alpha1().Applications(a.namespace())
	what := "ensure application " + a.namespace() + "/" + desired.Name
	res := CreateApplicationResult{Name: desired.Name}

	for range maxRounds {
		live, err := apps.Get(ctx, desired.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = apps.Create(ctx, desired.DeepCopy(), metav1.CreateOptions{FieldManager: "rigger"})
			if apierrors.IsAlreadyExists(err) {
				continue // created since our Get: converge that one
			}
			res.Created = err == nil
			return res, classify(what, err)
		}
		if err != nil {
			return CreateApplicationResult{}, classify(what, err)
		}
		if err := checkOwner(live, in.Slug); err != nil {
			return CreateApplicationResult{}, err
		}
		if live.DeletionTimestamp != nil {
			// Updating an Application that is pruning itself away would not
			// stop the deletion; wait it out and recreate.
			return CreateApplicationResult{}, temporal.NewApplicationError(what+": application is being deleted", ErrTypeTerminating)
		}
		// Created by this run in an earlier attempt still counts as created.
		res.Created = run != "" && live.Annotations[CreatedByAnnotation] == run
		if !converge(live, desired) {
			return res, nil
		}
		_, err = apps.Update(ctx, live, metav1.UpdateOptions{FieldManager: "rigger"})
		if apierrors.IsConflict(err) {
			continue // written since our Get: re-read and re-converge
		}
		return res, classify(what, err)
	}
	return CreateApplicationResult{}, classify(what, fmt.Errorf("application kept changing while being converged"))
}
