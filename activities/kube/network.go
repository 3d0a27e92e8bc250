package kube

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Network policy names in every tenant namespace.
const (
	DenyAllPolicy     = "rigger-default-deny"
	AllowTenantPolicy = "rigger-allow-namespace-and-dns"
)

// networkPolicies are the tenant's network fence. The first selects every pod
// for both directions and allows nothing, so whatever is not allowed by a
// later policy is denied, including traffic to other tenants and the
// internet. The second opens exactly what a tenant's workloads need to work
// together: any pod of the namespace to any other, and DNS lookups in
// kube-system. Every field the API server would default is spelled out so a
// re-read object compares equal and a repeated ensure stays a no-op.
func networkPolicies(ns, slug string) []*networkingv1.NetworkPolicy {
	both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	sameNamespace := []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dns := intstr.FromInt32(53)
	kubeSystem := &metav1.LabelSelector{MatchLabels: map[string]string{
		// Set by the API server on every namespace since Kubernetes 1.21, and
		// only it can set it, so a tenant cannot impersonate kube-system.
		corev1.LabelMetadataName: "kube-system",
	}}
	return []*networkingv1.NetworkPolicy{
		{
			ObjectMeta: objectMeta(DenyAllPolicy, ns, slug),
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{},
				PolicyTypes: both,
			},
		},
		{
			ObjectMeta: objectMeta(AllowTenantPolicy, ns, slug),
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{},
				PolicyTypes: both,
				Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: sameNamespace}},
				Egress: []networkingv1.NetworkPolicyEgressRule{
					{To: sameNamespace},
					{
						To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: kubeSystem}},
						Ports: []networkingv1.NetworkPolicyPort{
							{Protocol: &udp, Port: &dns},
							{Protocol: &tcp, Port: &dns},
						},
					},
				},
			},
		},
	}
}

func convergeNetworkPolicy(live, desired *networkingv1.NetworkPolicy) (bool, error) {
	changed := mergeLabels(live, desired.Labels)
	if !semanticEqual(live.Spec, desired.Spec) {
		live.Spec = desired.Spec
		changed = true
	}
	return changed, nil
}
