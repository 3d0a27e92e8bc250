package gitprovider

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// The deploy folder must build the way ArgoCD builds it (kustomize, with the
// load restrictor off so the config map can take the root's files), into a
// Deployment that mounts that config map and a Service, in the tenant's
// namespace.
func TestDeployBuildsWithKustomize(t *testing.T) {
	files, err := SeedFiles(acmeInput(), "https://acme.rigger.example.com")
	if err != nil {
		t.Fatal(err)
	}
	fs := filesys.MakeFsInMemory()
	for p, c := range files {
		if err := fs.WriteFile("/repo/"+p, c); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/repo/"+DeployPath); err == nil {
		t.Error("built with kustomize's default load restrictor; the DeployPath comment is out of date")
	}

	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsNone
	res, err := krusty.MakeKustomizer(opts).Run(fs, "/repo/"+DeployPath)
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	kinds := map[string]string{}
	for _, r := range res.Resources() {
		if r.GetNamespace() != "tenant-acme" || r.GetLabels()["rigger.dev/tenant"] != "acme" {
			t.Errorf("%s/%s: namespace %q labels %v", r.GetKind(), r.GetName(), r.GetNamespace(), r.GetLabels())
		}
		kinds[r.GetKind()] = r.GetName()
	}
	cm := kinds["ConfigMap"]
	if !strings.HasPrefix(cm, "backstage-config-") || kinds["Deployment"] != "backstage" || kinds["Service"] != "backstage" {
		t.Fatalf("resources %v", kinds)
	}
	out, _ := res.AsYaml()
	// The generated (hash-suffixed) name is wired into the Deployment, so a
	// config change rolls the pods.
	if !strings.Contains(string(out), "name: "+cm+"\n") || !strings.Contains(string(out), "rbac-policy.csv: |") {
		t.Errorf("built manifests:\n%s", out)
	}
}
