package kube

import (
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Through the SDK, as a worker runs them: registration of the struct, JSON
// round trip of inputs and results, and error types surviving conversion to
// failures (what the workflow's retry policy actually sees).
func TestActivitiesThroughTheSDK(t *testing.T) {
	a, _ := newActivities(t)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(a, activity.RegisterOptions{SkipInvalidStructFunctions: true})

	val, err := env.ExecuteActivity(a.KubeEnsureNamespace, EnsureNamespaceInput{Slug: "acme", Plan: PlanFree, Admins: []string{"alice"}})
	if err != nil {
		t.Fatal(err)
	}
	var res EnsureNamespaceResult
	if err := val.Get(&res); err != nil || res != (EnsureNamespaceResult{Namespace: "tenant-acme", Created: true}) {
		t.Fatalf("result = %+v, %v", res, err)
	}

	_, err = env.ExecuteActivity(a.KubeDeleteNamespace, DeleteNamespaceInput{Slug: "ACME"})
	appError(t, err, ErrTypeInvalid, false)

	val, err = env.ExecuteActivity(a.KubeDeleteNamespace, DeleteNamespaceInput{Slug: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var del DeleteNamespaceResult
	if err := val.Get(&del); err != nil || !del.Deleted {
		t.Fatalf("delete = %+v, %v", del, err)
	}
}

// Created must mean "this run created it" across attempts, so compensation
// deletes what the run made and never what existed before it.
func TestCreatedSurvivesRetries(t *testing.T) {
	run := func(a *Activities) EnsureNamespaceResult {
		t.Helper()
		var s testsuite.WorkflowTestSuite
		env := s.NewTestActivityEnvironment() // runs activities as if from one workflow run
		env.RegisterActivityWithOptions(a, activity.RegisterOptions{SkipInvalidStructFunctions: true})
		val, err := env.ExecuteActivity(a.KubeEnsureNamespace, EnsureNamespaceInput{Slug: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		var res EnsureNamespaceResult
		if err := val.Get(&res); err != nil {
			t.Fatal(err)
		}
		return res
	}

	a, cs := newActivities(t)
	if !run(a).Created {
		t.Fatal("first attempt: not created")
	}
	if !run(a).Created {
		t.Fatal("retry of the same run lost Created")
	}
	ns, _ := cs.CoreV1().Namespaces().Get(ctx, "tenant-acme", metav1.GetOptions{})
	if ns.Annotations[CreatedByAnnotation] == "" {
		t.Fatal("no created-by annotation")
	}

	// A namespace made before this run (here: outside any run) is not the
	// run's to compensate.
	a, _ = newActivities(t)
	ensureTenant(t, a, "acme")
	if run(a).Created {
		t.Fatal("a pre-existing namespace reported as created")
	}
}
