// Package e2e runs Rigger end to end on this machine: the Temporal dev
// server (the real rigger-devserver binary), real PostgreSQL, Redis and git,
// the real worker and the API over HTTP. Hosted services that cannot run
// here (GitHub, Kubernetes, ArgoCD) are httptest servers speaking their wire
// formats or client-go's fake clientsets behind the production clients.
package e2e
