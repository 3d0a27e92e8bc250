package kube

import (
	"context"
	"errors"
	"fmt"
	"maps"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// object is a pointer to a typed API object.
type object interface {
	metav1.Object
	runtime.Object
}

// typedClient is the part of every generated typed client (Namespaces(),
// ResourceQuotas(ns), ...) that ensure needs; they all satisfy it as is.
type typedClient[T object] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// converge edits live in place towards desired and reports whether it changed
// anything. It returns errReplace when live cannot be updated into desired
// (an immutable field differs), or an error to refuse live altogether.
type converge[T object] func(live, desired T) (changed bool, err error)

var errReplace = errors.New("object must be replaced")

// Races with another writer (another attempt of this activity, an operator)
// surface as AlreadyExists or Conflict; re-reading and trying again resolves
// them, and a handful of rounds is plenty for a namespace nobody else owns.
const maxRounds = 5

// ensure makes the object named like desired exist and match desired: create
// it when missing, update it when it drifted, leave it alone when it matches,
// so that a retried or repeated activity is harmless. created reports whether
// this call created it.
func ensure[T object](ctx context.Context, c typedClient[T], desired T, conv converge[T]) (created bool, err error) {
	name := desired.GetName()
	for range maxRounds {
		live, err := c.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = c.Create(ctx, desired.DeepCopyObject().(T), metav1.CreateOptions{FieldManager: fieldManager})
			if apierrors.IsAlreadyExists(err) {
				continue // created since our Get: converge that one instead
			}
			return err == nil, err
		}
		if err != nil {
			return false, err
		}
		changed, err := conv(live, desired)
		if errors.Is(err, errReplace) {
			// Delete exactly the object we read, so a replacement someone else
			// made in between is converged rather than deleted.
			uid := live.GetUID()
			err = c.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return false, err
			}
			continue
		}
		if err != nil || !changed {
			return false, err
		}
		_, err = c.Update(ctx, live, metav1.UpdateOptions{FieldManager: fieldManager})
		if apierrors.IsConflict(err) {
			continue // someone wrote after our Get: re-read and re-converge
		}
		return false, err
	}
	// Retryable: the writer we keep losing to will be done by the next attempt.
	return false, fmt.Errorf("%q kept changing while being converged", name)
}

// mergeLabels sets want's labels on obj, keeping labels others added (the API
// server's kubernetes.io/metadata.name, an operator's annotations of intent).
func mergeLabels(obj metav1.Object, want map[string]string) bool {
	labels := obj.GetLabels()
	changed := false
	for k, v := range want {
		if cur, ok := labels[k]; !ok || cur != v {
			changed = true
		}
	}
	if changed {
		merged := maps.Clone(labels)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, want)
		obj.SetLabels(merged)
	}
	return changed
}
