// Package deploy holds Rigger's deployment artefacts — the Dockerfile, the
// Kubernetes manifests (kustomize base, overlays and components), the Temporal
// Helm values and dynamic config, the Grafana dashboard — and the offline
// tests that validate them, together with the repository's
// docker-compose.yml, against the Kubernetes API types and Rigger's own
// configuration (internal/config). It has no runtime code.
package deploy
