package kube

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Quota is what a tenant namespace may consume. Quantities are Kubernetes
// strings ("500m", "4Gi") so the struct travels through workflow histories as
// plain JSON. A zero field takes the plan's value.
type Quota struct {
	RequestsCPU    string
	RequestsMemory string
	LimitsCPU      string
	LimitsMemory   string
	Pods           int
	PVCs           int
	Services       int

	// Container defaults for the LimitRange. They exist because a quota on
	// limits.* rejects every pod that does not state its own; the defaults
	// make such pods admissible and count them against the quota.
	ContainerCPU           string // default limit
	ContainerMemory        string // default limit
	ContainerRequestCPU    string // default request
	ContainerRequestMemory string // default request
}

// Plans known to QuotaForPlan.
const (
	PlanFree       = "free"
	PlanTeam       = "team"
	PlanEnterprise = "enterprise"
)

// QuotaForPlan returns the plan's quota. An unknown plan gets the free quota:
// a typo must never hand out more than was paid for.
func QuotaForPlan(plan string) Quota {
	switch plan {
	case PlanTeam:
		return Quota{
			RequestsCPU: "4", RequestsMemory: "8Gi", LimitsCPU: "8", LimitsMemory: "16Gi",
			Pods: 50, PVCs: 10, Services: 20,
			ContainerCPU: "500m", ContainerMemory: "512Mi", ContainerRequestCPU: "100m", ContainerRequestMemory: "128Mi",
		}
	case PlanEnterprise:
		return Quota{
			RequestsCPU: "16", RequestsMemory: "32Gi", LimitsCPU: "32", LimitsMemory: "64Gi",
			Pods: 200, PVCs: 50, Services: 50,
			ContainerCPU: "1", ContainerMemory: "1Gi", ContainerRequestCPU: "250m", ContainerRequestMemory: "256Mi",
		}
	default:
		return Quota{
			RequestsCPU: "1", RequestsMemory: "2Gi", LimitsCPU: "2", LimitsMemory: "4Gi",
			Pods: 10, PVCs: 2, Services: 5,
			ContainerCPU: "500m", ContainerMemory: "512Mi", ContainerRequestCPU: "100m", ContainerRequestMemory: "128Mi",
		}
	}
}

// withDefaults fills every zero field of q from d.
func (q Quota) withDefaults(d Quota) Quota {
	str := func(v *string, def string) {
		if *v == "" {
			*v = def
		}
	}
	num := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	str(&q.RequestsCPU, d.RequestsCPU)
	str(&q.RequestsMemory, d.RequestsMemory)
	str(&q.LimitsCPU, d.LimitsCPU)
	str(&q.LimitsMemory, d.LimitsMemory)
	num(&q.Pods, d.Pods)
	num(&q.PVCs, d.PVCs)
	num(&q.Services, d.Services)
	str(&q.ContainerCPU, d.ContainerCPU)
	str(&q.ContainerMemory, d.ContainerMemory)
	str(&q.ContainerRequestCPU, d.ContainerRequestCPU)
	str(&q.ContainerRequestMemory, d.ContainerRequestMemory)
	return q
}

// hard is the ResourceQuota's spec.hard for q.
func (q Quota) hard() (corev1.ResourceList, error) {
	return resourceList(map[corev1.ResourceName]string{
		corev1.ResourceRequestsCPU:            q.RequestsCPU,
		corev1.ResourceRequestsMemory:         q.RequestsMemory,
		corev1.ResourceLimitsCPU:              q.LimitsCPU,
		corev1.ResourceLimitsMemory:           q.LimitsMemory,
		corev1.ResourcePods:                   fmt.Sprint(q.Pods),
		corev1.ResourcePersistentVolumeClaims: fmt.Sprint(q.PVCs),
		corev1.ResourceServices:               fmt.Sprint(q.Services),
	})
}

// containerDefaults are the LimitRange's default limits and default requests.
func (q Quota) containerDefaults() (limits, requests corev1.ResourceList, err error) {
	if limits, err = resourceList(map[corev1.ResourceName]string{
		corev1.ResourceCPU: q.ContainerCPU, corev1.ResourceMemory: q.ContainerMemory,
	}); err != nil {
		return nil, nil, err
	}
	requests, err = resourceList(map[corev1.ResourceName]string{
		corev1.ResourceCPU: q.ContainerRequestCPU, corev1.ResourceMemory: q.ContainerRequestMemory,
	})
	return limits, requests, err
}

func resourceList(in map[corev1.ResourceName]string) (corev1.ResourceList, error) {
	out := corev1.ResourceList{}
	for name, s := range in {
		v, err := resource.ParseQuantity(s)
		if err != nil {
			return nil, invalid(fmt.Sprintf("quota %s=%q", name, s), err)
		}
		if v.Sign() < 0 {
			return nil, invalid(fmt.Sprintf("quota %s=%q is negative", name, s), nil)
		}
		out[name] = v
	}
	return out, nil
}
