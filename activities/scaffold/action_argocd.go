package scaffold

import (
	"context"

	"github.com/rigger-platform/rigger/activities/argocd"
)

func argocdCreateResources() *Action {
	return &Action{
		ID:          "argocd:create-resources",
		Description: "Creates an ArgoCD Application for the repository path, deployed into the tenant's namespace (Rigger's ArgoCD; argoInstance and namespace are recorded, not followed). Undo deletes the Application, if this run created it.",
		Input: obj([]string{"appName", "repoUrl", "path"}, map[string]any{
			"appName":      str("Application name (prefixed with tenant-<slug>-)"),
			"argoInstance": str("ArgoCD instance (Rigger has one)"),
			"namespace":    str("Requested namespace (the tenant's namespace is used)"),
			"repoUrl":      str("Git repository URL"),
			"path":         str("Path of the manifests in the repository"),
			"labelValue":   str("Value of the backstage-name label"),
			"projectName":  str("ArgoCD project (Rigger's is used)"),
		}),
		Output: obj(nil, map[string]any{}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			if a.Argo == nil || !a.Argo.Configured() {
				return errNotConfigured("ArgoCD")
			}
			labels := map[string]string{}
			if v := x.Str("labelValue"); v != "" {
				labels["backstage-name"] = v
			}
			name, created, err := argocd.EnsureScaffoldedApp(ctx, a.Argo, argocd.ScaffoldedApp{
				Slug: x.Tenant, App: x.Str("appName"), RepoURL: x.Str("repoUrl"), Path: x.Str("path"), Labels: labels,
			})
			if err != nil {
				return err
			}
			if created {
				x.Undo = map[string]any{"name": name}
			}
			x.Logf("ArgoCD application %s deploys %s/%s (requested namespace %q)", name, x.Str("repoUrl"), x.Str("path"), x.Str("namespace"))
			return nil
		},
		DryRun: func(x *Exec) {
			x.Logf("Dry run: would create ArgoCD application %s", argocd.ScaffoldedAppName(x.Tenant, x.Str("appName")))
		},
		Undo: func(ctx context.Context, a *Activities, u UndoInput) error {
			if a.Argo == nil || !a.Argo.Configured() {
				return nil
			}
			app, _ := u.Input()["appName"].(string)
			if app == "" {
				return nil
			}
			_, err := argocd.DeleteScaffoldedApp(ctx, a.Argo, u.Tenant, argocd.ScaffoldedAppName(u.Tenant, app))
			return err
		},
	}
}
