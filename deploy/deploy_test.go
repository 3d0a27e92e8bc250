package deploy

// Offline validation of everything under deploy/ and of docker-compose.yml:
//
//   - the kustomize base, both overlays and the monitoring and tracing
//     components render with the kustomize Go API, and every object decodes
//     STRICTLY (unknown or duplicate fields are errors) into its typed
//     Kubernetes struct;
//   - semantic rules: probes, resources, non-root hardening, task queues,
//     references between objects, exact RBAC, env vars that exist in
//     internal/config/config.go, secrets only through Secret references;
//   - docker-compose.yml: pinned images, build contexts inside the repo, env
//     vars that exist, depends_on targets and conditions;
//   - the Dockerfile, the Temporal Helm values and dynamic config, the Grafana
//     dashboard.
//
// Facts about Rigger (env vars, subcommands, task queues, search attributes)
// are read from the Go sources, so the tests follow the code.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"gopkg.in/yaml.v3"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// taskQueues are Rigger's task queues (DESIGN.md, "Task queues per domain").
var taskQueues = []string{"onboarding", "scaffolder", "techdocs", "billing", "dr", "assistant"}

const (
	image          = "ghcr.io/rigger-platform/rigger"
	appNamespace   = "rigger"
	argoNamespace  = "argocd"
	secretName     = "rigger-secrets"
	configMapName  = "rigger-config"
	kubeSA         = "rigger-kube"
	queueLabel     = "rigger.dev/task-queue"
	componentLabel = "app.kubernetes.io/component"
	// Worker shutdown: WorkerStopTimeout (30s) + ops server shutdown (10s).
	minWorkerGrace = 45
)

// ---------------------------------------------------------------------------
// Facts from the Go sources

func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r, "go.mod")); err != nil {
		t.Fatalf("repository root %s: %v", r, err)
	}
	return r
}

func parseGo(t *testing.T, path string) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

type configVars struct {
	all     map[string]bool // every variable config.Load reads
	secrets map[string]bool // read through secret(): may come from X or X_FILE
}

var (
	configOnce sync.Once
	configRes  configVars
	configErr  error
)

// riggerConfig parses internal/config/config.go: every os.Getenv/os.LookupEnv
// and get/secret/boolean/duration/integer call with a literal name is a
// variable Rigger reads; secret("X") also reads X_FILE.
func riggerConfig(t *testing.T) configVars {
	t.Helper()
	configOnce.Do(func() {
		path := filepath.Join(root(t), "internal", "config", "config.go")
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			configErr = err
			return
		}
		v := configVars{all: map[string]bool{}, secrets: map[string]bool{}}
		helpers := map[string]bool{"get": true, "secret": true, "boolean": true, "duration": true, "integer": true}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			name, ok := stringLit(call.Args[0])
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				if !helpers[fn.Name] {
					return true
				}
				v.all[name] = true
				if fn.Name == "secret" {
					v.secrets[name] = true
					v.all[name+"_FILE"] = true
				}
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.Ident); ok && x.Name == "os" && (fn.Sel.Name == "Getenv" || fn.Sel.Name == "LookupEnv") {
					v.all[name] = true
				}
			}
			return true
		})
		if len(v.all) < 20 || len(v.secrets) < 3 {
			configErr = fmt.Errorf("parsed only %d variables (%d secrets) from %s: has config.Load changed shape?", len(v.all), len(v.secrets), path)
			return
		}
		configRes = v
	})
	if configErr != nil {
		t.Fatal(configErr)
	}
	return configRes
}

// caseLiterals returns the string literals of every `case` in the named
// function of the Go files in dir.
func caseLiterals(t *testing.T, dir, funcName string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		for _, d := range parseGo(t, p).Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != funcName || fd.Recv != nil {
				continue
			}
			ast.Inspect(fd, func(n ast.Node) bool {
				if cc, ok := n.(*ast.CaseClause); ok {
					for _, e := range cc.List {
						if s, ok := stringLit(e); ok {
							out[s] = true
						}
					}
				}
				return true
			})
		}
	}
	return out
}

// checkCommand reports whether args form a real `rigger` command line:
// a subcommand of cmd/rigger's run, and for `schedules`, an operation of
// starter.Schedules.
func checkCommand(t *testing.T, args []string) error {
	t.Helper()
	if len(args) == 0 {
		return fmt.Errorf("no subcommand")
	}
	r := root(t)
	if !caseLiterals(t, filepath.Join(r, "cmd", "rigger"), "run")[args[0]] {
		return fmt.Errorf("%q is not a rigger subcommand (cmd/rigger/main.go)", args[0])
	}
	if args[0] == "schedules" {
		if len(args) < 2 || !caseLiterals(t, filepath.Join(r, "starter"), "Schedules")[args[1]] {
			return fmt.Errorf("%v: not a `rigger schedules` operation (starter.Schedules)", args)
		}
	}
	return nil
}

// contractQueues are the task queues declared as TaskQueue* constants in
// workflows/ (the contract files).
func contractQueues(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(root(t), "workflows", "*.go"))
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		ast.Inspect(parseGo(t, p), func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, id := range vs.Names {
				if strings.HasPrefix(id.Name, "TaskQueue") && i < len(vs.Values) {
					if s, ok := stringLit(vs.Values[i]); ok {
						out[id.Name] = s
					}
				}
			}
			return true
		})
	}
	return out
}

// searchAttributes are the names passed to temporal.NewSearchAttributeKey*
// in workflows/.
func searchAttributes(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(root(t), "workflows", "*.go"))
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		ast.Inspect(parseGo(t, p), func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !strings.HasPrefix(sel.Sel.Name, "NewSearchAttributeKey") {
				return true
			}
			if s, ok := stringLit(call.Args[0]); ok {
				out[s] = strings.TrimPrefix(sel.Sel.Name, "NewSearchAttributeKey")
			}
			return true
		})
	}
	return out
}

func TestFactsFromSources(t *testing.T) {
	cfg := riggerConfig(t)
	for _, v := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "RIGGER_TASK_QUEUES", "RIGGER_ADMIN_KEY_FILE"} {
		if !cfg.all[v] {
			t.Errorf("config parser missed %s", v)
		}
	}
	for _, args := range [][]string{{"api"}, {"worker"}, {"migrate"}, {"setup"}, {"schedules", "sync"}} {
		if err := checkCommand(t, args); err != nil {
			t.Error(err)
		}
	}
	if checkCommand(t, []string{"serve"}) == nil || checkCommand(t, []string{"schedules", "nuke"}) == nil {
		t.Error("checkCommand accepts commands rigger does not have")
	}
	for name, q := range contractQueues(t) {
		if !slices.Contains(taskQueues, q) {
			t.Errorf("workflows declares %s = %q, which is not one of the deployed task queues %v: add its worker to deploy/", name, q, taskQueues)
		}
	}
	declared := map[string]bool{}
	for _, q := range contractQueues(t) {
		declared[q] = true
	}
	for _, q := range taskQueues {
		if !declared[q] {
			t.Logf("note: task queue %q has a worker Deployment but no TaskQueue constant in workflows/ yet", q)
		}
	}
	if len(searchAttributes(t)) == 0 {
		t.Error("found no search attributes in workflows/")
	}
}

// ---------------------------------------------------------------------------
// Kustomize rendering and strict decoding

type object struct {
	gvk schema.GroupVersionKind
	obj runtime.Object
	raw string
}

func (o object) meta() metav1.Object {
	m, _ := o.obj.(metav1.Object)
	return m
}

func (o object) String() string {
	return o.gvk.Kind + "/" + o.meta().GetName()
}

func newScheme(t *testing.T, monitoring bool) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if monitoring {
		if err := monitoringv1.AddToScheme(s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// strictDecode decodes one YAML document into its typed struct, failing on
// unknown kinds, unknown fields and duplicate fields.
func strictDecode(s *runtime.Scheme, doc []byte) (runtime.Object, *schema.GroupVersionKind, error) {
	ser := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, s, s, kjson.SerializerOptions{Yaml: true, Strict: true})
	return ser.Decode(doc, nil, nil)
}

// render builds a kustomization directory (relative to the repository, or
// absolute) and strictly decodes every object.
func render(t *testing.T, dir string, monitoring bool) []object {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	path := dir
	if !filepath.IsAbs(path) {
		path = filepath.Join(root(t), filepath.FromSlash(dir))
	}
	m, err := k.Run(filesys.MakeFsOnDisk(), path)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	s := newScheme(t, monitoring)
	var out []object
	for _, res := range m.Resources() {
		doc, err := res.AsYAML()
		if err != nil {
			t.Fatalf("%s: %v", res.CurId(), err)
		}
		obj, gvk, err := strictDecode(s, doc)
		if err != nil {
			t.Errorf("%s: %s/%s does not validate against the API types: %v", dir, res.GetKind(), res.GetName(), err)
			continue
		}
		out = append(out, object{gvk: *gvk, obj: obj, raw: string(doc)})
	}
	if len(out) == 0 {
		t.Fatalf("%s rendered no objects", dir)
	}
	return out
}

func ofType[T runtime.Object](objs []object) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Semantic checks shared by every rendering

type renderCase struct {
	dir string
	// components are added on top of dir, as an overlay of the operator's
	// own would add them.
	components []string
	monitoring bool
	production bool
}

func (rc renderCase) name() string {
	n := filepath.Base(rc.dir)
	for _, c := range rc.components {
		n += "+" + filepath.Base(c)
	}
	return n
}

var renderCases = []renderCase{
	{dir: "deploy/kubernetes/base"},
	{dir: "deploy/kubernetes/overlays/dev"},
	{dir: "deploy/kubernetes/overlays/dev", components: []string{"deploy/kubernetes/components/tracing"}},
	{dir: "deploy/kubernetes/overlays/production", monitoring: true, production: true},
}

// renderCaseDir is the kustomization to build for rc: its dir, or a
// temporary overlay of it with rc's components.
func renderCaseDir(t *testing.T, rc renderCase) string {
	t.Helper()
	if len(rc.components) == 0 {
		return rc.dir
	}
	// kustomize takes only relative paths to bases and components.
	dir := t.TempDir()
	rel := func(p string) string {
		r, err := filepath.Rel(dir, filepath.Join(root(t), filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		return filepath.ToSlash(r)
	}
	kust := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - " + rel(rc.dir) + "\ncomponents:\n"
	for _, c := range rc.components {
		kust += "  - " + rel(c) + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kust), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestKustomizeRenders(t *testing.T) {
	for _, rc := range renderCases {
		t.Run(rc.name(), func(t *testing.T) {
			objs := render(t, renderCaseDir(t, rc), rc.monitoring)
			counts := map[string]int{}
			for _, o := range objs {
				counts[o.gvk.Kind]++
			}
			t.Logf("%s: %d objects %v", rc.dir, len(objs), counts)
			want := map[string]int{
				"Namespace": 1, "Deployment": 1 + len(taskQueues), "HorizontalPodAutoscaler": 1 + len(taskQueues),
				"PodDisruptionBudget": 1 + len(taskQueues), "Job": 2, "ConfigMap": 1, "ClusterRole": 1, "Role": 1,
				"ServiceAccount": 2, "Secret": 0,
			}
			if rc.monitoring {
				want["ServiceMonitor"] = 2
			} else {
				want["ServiceMonitor"] = 0
			}
			for kind, n := range want {
				if counts[kind] != n {
					t.Errorf("%d %s objects, want %d", counts[kind], kind, n)
				}
			}
			checkNamespaces(t, objs)
			checkWorkloads(t, objs, rc)
			checkWorkers(t, objs)
			checkScaling(t, objs)
			checkServices(t, objs)
			checkNetworkPolicies(t, objs)
			checkTracingEgress(t, objs)
			checkRBAC(t, objs)
			checkConfigMap(t, objs, rc)
			if rc.monitoring {
				checkServiceMonitors(t, objs)
			}
		})
	}
}

func checkNamespaces(t *testing.T, objs []object) {
	t.Helper()
	clusterScoped := map[string]bool{"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true,
		"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true}
	for _, o := range objs {
		ns := o.meta().GetNamespace()
		switch {
		case clusterScoped[o.gvk.Kind]:
			if ns != "" {
				t.Errorf("%s is cluster-scoped but has namespace %q", o, ns)
			}
		case o.gvk.Kind == "Role" || o.gvk.Kind == "RoleBinding":
			if ns != argoNamespace {
				t.Errorf("%s in namespace %q: Rigger's only Role(Binding) is for ArgoCD in %q", o, ns, argoNamespace)
			}
		case ns != appNamespace:
			t.Errorf("%s in namespace %q, want %q", o, ns, appNamespace)
		}
		if o.meta().GetLabels()["app.kubernetes.io/part-of"] != "rigger" {
			t.Errorf("%s lacks app.kubernetes.io/part-of=rigger", o)
		}
	}
}

type workload struct {
	name     string
	kind     string
	labels   map[string]string
	spec     corev1.PodSpec
	isWorker bool
}

func workloads(objs []object) []workload {
	var out []workload
	for _, d := range ofType[*appsv1.Deployment](objs) {
		out = append(out, workload{name: d.Name, kind: "Deployment", labels: d.Spec.Template.Labels, spec: d.Spec.Template.Spec,
			isWorker: d.Spec.Template.Labels[componentLabel] == "worker"})
	}
	for _, j := range ofType[*batchv1.Job](objs) {
		out = append(out, workload{name: j.Name, kind: "Job", labels: j.Spec.Template.Labels, spec: j.Spec.Template.Spec})
	}
	return out
}

func allContainers(spec corev1.PodSpec) []corev1.Container {
	return append(slices.Clone(spec.InitContainers), spec.Containers...)
}

func envValue(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func secretExampleKeys(t *testing.T, rel string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	obj, _, err := strictDecode(newScheme(t, false), b)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	s, ok := obj.(*corev1.Secret)
	if !ok {
		t.Fatalf("%s is a %T, not a Secret", rel, obj)
	}
	keys := map[string]bool{}
	for k := range s.StringData {
		keys[k] = true
	}
	for k := range s.Data {
		keys[k] = true
	}
	return keys
}

func checkWorkloads(t *testing.T, objs []object, rc renderCase) {
	t.Helper()
	cfg := riggerConfig(t)
	secretKeys := secretExampleKeys(t, "deploy/kubernetes/base/secret.example.yaml")
	configMaps := map[string]bool{}
	for _, cm := range ofType[*corev1.ConfigMap](objs) {
		configMaps[cm.Name] = true
	}
	serviceAccounts := map[string]bool{}
	for _, sa := range ofType[*corev1.ServiceAccount](objs) {
		serviceAccounts[sa.Name] = true
	}
	for _, w := range workloads(objs) {
		where := w.kind + "/" + w.name
		ps := w.spec
		if ps.SecurityContext == nil || ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: pod securityContext.runAsNonRoot is not true", where)
		}
		if ps.SecurityContext == nil || ps.SecurityContext.RunAsUser == nil || *ps.SecurityContext.RunAsUser == 0 {
			t.Errorf("%s: pod securityContext.runAsUser must be a non-zero UID", where)
		}
		if ps.SecurityContext == nil || ps.SecurityContext.SeccompProfile == nil || ps.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod seccompProfile is not RuntimeDefault", where)
		}
		if !serviceAccounts[ps.ServiceAccountName] {
			t.Errorf("%s: serviceAccountName %q is not rendered", where, ps.ServiceAccountName)
		}
		automount := ps.AutomountServiceAccountToken != nil && *ps.AutomountServiceAccountToken
		if automount != (ps.ServiceAccountName == kubeSA) {
			t.Errorf("%s: automountServiceAccountToken=%v with service account %q: only %s gets a token", where, automount, ps.ServiceAccountName, kubeSA)
		}
		volumes := map[string]corev1.Volume{}
		for _, v := range ps.Volumes {
			volumes[v.Name] = v
		}
		for _, c := range allContainers(ps) {
			cw := where + " container " + c.Name
			name, tag, ok := strings.Cut(c.Image, ":")
			if name != image || !ok || tag == "" || tag == "latest" {
				t.Errorf("%s: image %q, want %s:<pinned tag>", cw, c.Image, image)
			}
			if len(c.Command) != 0 {
				t.Errorf("%s: command overrides the image's /rigger entrypoint", cw)
			}
			if err := checkCommand(t, c.Args); err != nil {
				t.Errorf("%s: args %v: %v", cw, c.Args, err)
			}
			sc := c.SecurityContext
			switch {
			case sc == nil:
				t.Errorf("%s: no securityContext", cw)
			default:
				if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
					t.Errorf("%s: runAsNonRoot is not true", cw)
				}
				if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
					t.Errorf("%s: allowPrivilegeEscalation is not false", cw)
				}
				if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
					t.Errorf("%s: readOnlyRootFilesystem is not true", cw)
				}
				if sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
					t.Errorf("%s: capabilities must drop ALL and add none", cw)
				}
				if sc.Privileged != nil && *sc.Privileged {
					t.Errorf("%s: privileged", cw)
				}
			}
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if q, ok := c.Resources.Requests[r]; !ok || q.IsZero() {
					t.Errorf("%s: no %s request", cw, r)
				}
			}
			if q, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok || q.Cmp(c.Resources.Requests[corev1.ResourceMemory]) < 0 {
				t.Errorf("%s: memory limit missing or below the request", cw)
			}
			for _, m := range c.VolumeMounts {
				if _, ok := volumes[m.Name]; !ok {
					t.Errorf("%s: mounts undefined volume %q", cw, m.Name)
				}
			}
			if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/tmp" }) {
				t.Errorf("%s: read-only root filesystem but no writable /tmp", cw)
			}
			for _, ef := range c.EnvFrom {
				switch {
				case ef.ConfigMapRef != nil:
					if !configMaps[ef.ConfigMapRef.Name] {
						t.Errorf("%s: envFrom ConfigMap %q is not rendered", cw, ef.ConfigMapRef.Name)
					}
				default:
					t.Errorf("%s: envFrom other than the ConfigMap (secrets go one key at a time)", cw)
				}
			}
			for _, e := range c.Env {
				if !cfg.all[e.Name] {
					t.Errorf("%s: env %s is not read by internal/config/config.go", cw, e.Name)
				}
				if cfg.secrets[strings.TrimSuffix(e.Name, "_FILE")] && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) && !strings.HasSuffix(e.Name, "_FILE") {
					t.Errorf("%s: secret %s must come from a secretKeyRef, not a literal", cw, e.Name)
				}
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					ref := e.ValueFrom.SecretKeyRef
					if ref.Name != secretName || !secretKeys[ref.Key] {
						t.Errorf("%s: env %s references secret %s key %q, not a key of %s in secret.example.yaml", cw, e.Name, ref.Name, ref.Key, secretName)
					}
					if !cfg.secrets[e.Name] {
						t.Errorf("%s: env %s comes from a Secret but config reads it with os.Getenv (no %s_FILE support)", cw, e.Name, e.Name)
					}
				}
			}
		}
		if w.kind == "Job" {
			if ps.RestartPolicy != corev1.RestartPolicyNever && ps.RestartPolicy != corev1.RestartPolicyOnFailure {
				t.Errorf("%s: restartPolicy %q", where, ps.RestartPolicy)
			}
			continue
		}
		// Deployments: exactly one container with the three probes on named ports.
		if len(ps.Containers) != 1 {
			t.Errorf("%s: %d containers, want 1", where, len(ps.Containers))
			continue
		}
		c := ps.Containers[0]
		ports := map[string]int32{}
		for _, p := range c.Ports {
			ports[p.Name] = p.ContainerPort
		}
		for kind, pr := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			want := "/healthz"
			if kind == "readiness" {
				want = "/readyz"
			}
			if pr == nil || pr.HTTPGet == nil {
				t.Errorf("%s: no HTTP %s probe", where, kind)
				continue
			}
			if pr.HTTPGet.Path != want {
				t.Errorf("%s: %s probe path %q, want %q", where, kind, pr.HTTPGet.Path, want)
			}
			if _, ok := ports[pr.HTTPGet.Port.StrVal]; !ok {
				t.Errorf("%s: %s probe port %q is not a named container port", where, kind, pr.HTTPGet.Port.String())
			}
		}
		// The listen address the process is told must be the port it exposes.
		addrVar, portName := "RIGGER_API_ADDR", "http"
		if w.isWorker {
			addrVar, portName = "RIGGER_WORKER_ADDR", "metrics"
		}
		addr, _ := envValue(c, addrVar)
		_, port, err := net.SplitHostPort(addr)
		if err != nil || port != strconv.Itoa(int(ports[portName])) {
			t.Errorf("%s: %s=%q does not listen on container port %s (%d)", where, addrVar, addr, portName, ports[portName])
		}
		grace := int64(30)
		if ps.TerminationGracePeriodSeconds != nil {
			grace = *ps.TerminationGracePeriodSeconds
		}
		if w.isWorker && grace < minWorkerGrace {
			t.Errorf("%s: terminationGracePeriodSeconds %d < %d: workers drain activities for 30s on SIGTERM", where, grace, minWorkerGrace)
		}
		if rc.production {
			checkTemporalTLSMount(t, where, ps)
		}
	}
	if rc.production {
		for _, j := range ofType[*batchv1.Job](objs) {
			if j.Labels[componentLabel] == "setup" {
				checkTemporalTLSMount(t, "Job/"+j.Name, j.Spec.Template.Spec)
			}
		}
	}
	// Jobs: exactly the migration and the Temporal setup.
	jobs := map[string][][]string{}
	for _, j := range ofType[*batchv1.Job](objs) {
		for _, c := range allContainers(j.Spec.Template.Spec) {
			jobs[j.Labels[componentLabel]] = append(jobs[j.Labels[componentLabel]], c.Args)
		}
	}
	want := map[string][][]string{"migrate": {{"migrate"}}, "setup": {{"setup"}, {"schedules", "sync"}}}
	if !reflect.DeepEqual(jobs, want) {
		t.Errorf("jobs run %v, want %v", jobs, want)
	}
}

// checkTemporalTLSMount: the client certificate files the ConfigMap names are
// mounted from the TLS secret in every container that talks to Temporal.
func checkTemporalTLSMount(t *testing.T, where string, ps corev1.PodSpec) {
	t.Helper()
	var secret string
	for _, v := range ps.Volumes {
		if v.Name == "temporal-tls" && v.Secret != nil {
			secret = v.Secret.SecretName
		}
	}
	if secret == "" {
		t.Errorf("%s: no temporal-tls secret volume", where)
		return
	}
	keys := secretExampleKeys(t, "deploy/kubernetes/overlays/production/temporal-tls.example.yaml")
	for _, k := range []string{"tls.crt", "tls.key", "ca.crt"} {
		if !keys[k] {
			t.Errorf("temporal-tls.example.yaml lacks %s", k)
		}
	}
	for _, c := range allContainers(ps) {
		if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
			return m.Name == "temporal-tls" && m.MountPath == "/etc/rigger/temporal-tls" && m.ReadOnly
		}) {
			t.Errorf("%s container %s: temporal-tls not mounted read-only at /etc/rigger/temporal-tls", where, c.Name)
		}
	}
}

func checkWorkers(t *testing.T, objs []object) {
	t.Helper()
	byQueue := map[string]string{}
	for _, d := range ofType[*appsv1.Deployment](objs) {
		tmpl := d.Spec.Template
		if tmpl.Labels[componentLabel] != "worker" {
			if tmpl.Labels[componentLabel] != "api" {
				t.Errorf("Deployment/%s is neither api nor worker", d.Name)
			}
			continue
		}
		c := tmpl.Spec.Containers[0]
		if !reflect.DeepEqual(c.Args, []string{"worker"}) {
			t.Errorf("Deployment/%s: args %v, want [worker]", d.Name, c.Args)
		}
		v, ok := envValue(c, "RIGGER_TASK_QUEUES")
		if !ok || v == "" {
			t.Errorf("Deployment/%s: RIGGER_TASK_QUEUES not set (a worker Deployment serves named queues)", d.Name)
			continue
		}
		for _, q := range strings.Split(v, ",") {
			q = strings.TrimSpace(q)
			if !slices.Contains(taskQueues, q) {
				t.Errorf("Deployment/%s: RIGGER_TASK_QUEUES names %q, not one of %v", d.Name, q, taskQueues)
			}
			if other, dup := byQueue[q]; dup {
				t.Errorf("task queue %q is served by both %s and %s", q, other, d.Name)
			}
			byQueue[q] = d.Name
		}
		if tmpl.Labels[queueLabel] != v || d.Spec.Selector.MatchLabels[queueLabel] != v || d.Name != "rigger-worker-"+v {
			t.Errorf("Deployment/%s: name, %s label and selector must all name its queue %q", d.Name, queueLabel, v)
		}
		kube, _ := envValue(c, "RIGGER_KUBE_IN_CLUSTER")
		if (v == "onboarding") != (kube == "true") || (v == "onboarding") != (tmpl.Spec.ServiceAccountName == kubeSA) {
			t.Errorf("Deployment/%s: only the onboarding worker runs the Kubernetes/ArgoCD activities (RIGGER_KUBE_IN_CLUSTER=%q, serviceAccount %q)", d.Name, kube, tmpl.Spec.ServiceAccountName)
		}
	}
	for _, q := range taskQueues {
		if byQueue[q] == "" {
			t.Errorf("no worker Deployment serves task queue %q", q)
		}
	}
}

func selects(sel *metav1.LabelSelector, podLabels map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() {
		return false
	}
	return s.Matches(labels.Set(podLabels))
}

func checkScaling(t *testing.T, objs []object) {
	t.Helper()
	deployments := map[string]*appsv1.Deployment{}
	for _, d := range ofType[*appsv1.Deployment](objs) {
		deployments[d.Name] = d
		if d.Spec.Replicas != nil {
			t.Errorf("Deployment/%s sets replicas: the HorizontalPodAutoscaler owns them", d.Name)
		}
		if !selects(d.Spec.Selector, d.Spec.Template.Labels) {
			t.Errorf("Deployment/%s: selector does not match its pod template", d.Name)
		}
	}
	scaled := map[string]bool{}
	for _, h := range ofType[*autoscalingv2.HorizontalPodAutoscaler](objs) {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || deployments[ref.Name] == nil {
			t.Errorf("HorizontalPodAutoscaler/%s targets %s %s/%s, not a rendered Deployment", h.Name, ref.APIVersion, ref.Kind, ref.Name)
			continue
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || *h.Spec.MinReplicas > h.Spec.MaxReplicas || len(h.Spec.Metrics) == 0 {
			t.Errorf("HorizontalPodAutoscaler/%s: needs 1 <= minReplicas <= maxReplicas and a metric", h.Name)
		}
		if scaled[ref.Name] {
			t.Errorf("Deployment/%s has two HorizontalPodAutoscalers", ref.Name)
		}
		scaled[ref.Name] = true
		for _, m := range h.Spec.Metrics {
			if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil {
				if _, ok := deployments[ref.Name].Spec.Template.Spec.Containers[0].Resources.Requests[m.Resource.Name]; !ok {
					t.Errorf("HorizontalPodAutoscaler/%s scales on %s utilization but the pods request none", h.Name, m.Resource.Name)
				}
			}
		}
	}
	protected := map[string]int{}
	for _, p := range ofType[*policyv1.PodDisruptionBudget](objs) {
		if p.Spec.MinAvailable != nil {
			t.Errorf("PodDisruptionBudget/%s uses minAvailable: with one replica it blocks node drains; use maxUnavailable", p.Name)
		}
		for name, d := range deployments {
			if selects(p.Spec.Selector, d.Spec.Template.Labels) {
				protected[name]++
			}
		}
	}
	for name := range deployments {
		if !scaled[name] {
			t.Errorf("Deployment/%s has no HorizontalPodAutoscaler", name)
		}
		if protected[name] != 1 {
			t.Errorf("Deployment/%s is covered by %d PodDisruptionBudgets, want 1", name, protected[name])
		}
	}
}

func checkServices(t *testing.T, objs []object) {
	t.Helper()
	for _, s := range ofType[*corev1.Service](objs) {
		matched := 0
		for _, d := range ofType[*appsv1.Deployment](objs) {
			if !labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) || len(s.Spec.Selector) == 0 {
				continue
			}
			matched++
			for _, p := range s.Spec.Ports {
				if !slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Ports, func(cp corev1.ContainerPort) bool {
					return cp.Name == p.TargetPort.StrVal && cp.ContainerPort == p.Port
				}) {
					t.Errorf("Service/%s port %s: targetPort %q is not a container port %d of Deployment/%s", s.Name, p.Name, p.TargetPort.String(), p.Port, d.Name)
				}
			}
		}
		if matched == 0 {
			t.Errorf("Service/%s selects no Deployment", s.Name)
		}
	}
}

func allowsPort(rules []networkingv1.NetworkPolicyPort, port int) bool {
	return slices.ContainsFunc(rules, func(p networkingv1.NetworkPolicyPort) bool {
		return p.Port != nil && p.Port.IntValue() == port && (p.Protocol == nil || *p.Protocol == corev1.ProtocolTCP)
	})
}

func checkNetworkPolicies(t *testing.T, objs []object) {
	t.Helper()
	var api, worker *appsv1.Deployment
	for _, d := range ofType[*appsv1.Deployment](objs) {
		switch d.Spec.Template.Labels[componentLabel] {
		case "api":
			api = d
		case "worker":
			worker = d
		}
	}
	var defaultDeny, apiIngress, workerEgress, dns bool
	for _, np := range ofType[*networkingv1.NetworkPolicy](objs) {
		if len(np.Spec.PodSelector.MatchLabels) == 0 && len(np.Spec.PodSelector.MatchExpressions) == 0 {
			if len(np.Spec.Ingress) == 0 && len(np.Spec.Egress) == 0 && len(np.Spec.PolicyTypes) == 2 {
				defaultDeny = true
			}
			continue
		}
		if api != nil && selects(&np.Spec.PodSelector, api.Spec.Template.Labels) {
			for _, in := range np.Spec.Ingress {
				if allowsPort(in.Ports, 8080) {
					apiIngress = true
				}
			}
		}
		if worker != nil && selects(&np.Spec.PodSelector, worker.Spec.Template.Labels) {
			for _, eg := range np.Spec.Egress {
				if allowsPort(eg.Ports, 443) {
					workerEgress = true
				}
				if slices.ContainsFunc(eg.Ports, func(p networkingv1.NetworkPolicyPort) bool {
					return p.Port != nil && p.Port.IntValue() == 53 && p.Protocol != nil && *p.Protocol == corev1.ProtocolUDP
				}) {
					dns = true
				}
			}
			for _, in := range np.Spec.Ingress {
				if allowsPort(in.Ports, 8080) {
					t.Errorf("NetworkPolicy/%s opens the API port to workers", np.Name)
				}
			}
		}
	}
	if !defaultDeny || !apiIngress || !workerEgress || !dns {
		t.Errorf("network policies: default deny %v, API ingress on 8080 %v, worker egress to 443 %v, DNS %v — want all", defaultDeny, apiIngress, workerEgress, dns)
	}
}

// checkTracingEgress: with tracing on, every Rigger pod can reach the
// collector's port through the NetworkPolicies (the base denies all egress
// it does not name).
func checkTracingEgress(t *testing.T, objs []object) {
	t.Helper()
	var data map[string]string
	for _, cm := range ofType[*corev1.ConfigMap](objs) {
		data = cm.Data
	}
	if data["RIGGER_TRACING"] != "true" {
		return
	}
	u, err := url.Parse(data["OTEL_EXPORTER_OTLP_ENDPOINT"])
	if err != nil || u.Host == "" {
		t.Fatalf("tracing on, but OTEL_EXPORTER_OTLP_ENDPOINT=%q is not a collector URL", data["OTEL_EXPORTER_OTLP_ENDPOINT"])
	}
	port := map[string]int{"http": 80, "https": 443}[u.Scheme]
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	for _, d := range ofType[*appsv1.Deployment](objs) {
		reach := false
		for _, np := range ofType[*networkingv1.NetworkPolicy](objs) {
			if !selects(&np.Spec.PodSelector, d.Spec.Template.Labels) {
				continue
			}
			for _, eg := range np.Spec.Egress {
				if allowsPort(eg.Ports, port) {
					reach = true
				}
			}
		}
		if !reach {
			t.Errorf("Deployment/%s traces to %s, but no NetworkPolicy lets it reach port %d", d.Name, u.Host, port)
		}
	}
}

// normRules makes PolicyRules comparable regardless of order.
func normRules(rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		f := func(s []string) string { s = slices.Clone(s); sort.Strings(s); return strings.Join(s, ",") }
		out = append(out, fmt.Sprintf("groups=%s resources=%s names=%s verbs=%s urls=%s",
			f(r.APIGroups), f(r.Resources), f(r.ResourceNames), f(r.Verbs), f(r.NonResourceURLs)))
	}
	sort.Strings(out)
	return out
}

// checkRBAC asserts the complete set of grants: exactly what the Kubernetes
// and ArgoCD activities do, to exactly the onboarding worker's account.
func checkRBAC(t *testing.T, objs []object) {
	t.Helper()
	wantCluster := normRules([]rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "create", "update", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"resourcequotas", "limitranges"}, Verbs: []string{"get", "create", "update", "delete"}},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: []string{"get", "create", "update", "delete"}},
		{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings"}, Verbs: []string{"get", "create", "update", "delete"}},
		{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles"}, ResourceNames: []string{"admin"}, Verbs: []string{"bind"}},
	})
	wantArgo := normRules([]rbacv1.PolicyRule{
		{APIGroups: []string{"argoproj.io"}, Resources: []string{"applications"}, Verbs: []string{"get", "create", "update", "delete"}},
	})
	roles := map[string][]string{}
	for _, cr := range ofType[*rbacv1.ClusterRole](objs) {
		if cr.AggregationRule != nil {
			t.Errorf("ClusterRole/%s aggregates other roles", cr.Name)
		}
		roles["ClusterRole/"+cr.Name] = normRules(cr.Rules)
		if got := normRules(cr.Rules); !reflect.DeepEqual(got, wantCluster) {
			t.Errorf("ClusterRole/%s grants\n  %s\nwant exactly\n  %s", cr.Name, strings.Join(got, "\n  "), strings.Join(wantCluster, "\n  "))
		}
	}
	for _, r := range ofType[*rbacv1.Role](objs) {
		roles["Role/"+r.Namespace+"/"+r.Name] = normRules(r.Rules)
		if got := normRules(r.Rules); r.Namespace != argoNamespace || !reflect.DeepEqual(got, wantArgo) {
			t.Errorf("Role %s/%s grants %v, want exactly %v in %s", r.Namespace, r.Name, got, wantArgo, argoNamespace)
		}
	}
	subjectOK := func(where string, subs []rbacv1.Subject) {
		want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: kubeSA, Namespace: appNamespace}}
		if !reflect.DeepEqual(subs, want) {
			t.Errorf("%s binds %v, want only %v", where, subs, want)
		}
	}
	bound := map[string]bool{}
	for _, b := range ofType[*rbacv1.ClusterRoleBinding](objs) {
		key := b.RoleRef.Kind + "/" + b.RoleRef.Name
		if _, ok := roles[key]; !ok || b.RoleRef.Kind != "ClusterRole" {
			t.Errorf("ClusterRoleBinding/%s binds %s, not Rigger's ClusterRole (never a built-in one cluster-wide)", b.Name, key)
		}
		bound[key] = true
		subjectOK("ClusterRoleBinding/"+b.Name, b.Subjects)
	}
	for _, b := range ofType[*rbacv1.RoleBinding](objs) {
		key := b.RoleRef.Kind + "/" + b.Namespace + "/" + b.RoleRef.Name
		if _, ok := roles[key]; !ok || b.RoleRef.Kind != "Role" {
			t.Errorf("RoleBinding %s/%s binds %s %s, not Rigger's Role in that namespace", b.Namespace, b.Name, b.RoleRef.Kind, b.RoleRef.Name)
		}
		bound[key] = true
		subjectOK("RoleBinding/"+b.Name, b.Subjects)
	}
	for key := range roles {
		if !bound[key] {
			t.Errorf("%s is bound to nobody", key)
		}
	}
	// The admission policies confine the RBAC to tenant namespaces; they must
	// name the same service account and be bound with Deny.
	wantUser := "system:serviceaccount:" + appNamespace + ":" + kubeSA
	policies := map[string]bool{}
	for _, p := range ofType[*admissionv1.ValidatingAdmissionPolicy](objs) {
		policies[p.Name] = true
		if p.Spec.FailurePolicy == nil || *p.Spec.FailurePolicy != admissionv1.Fail {
			t.Errorf("ValidatingAdmissionPolicy/%s must fail closed", p.Name)
		}
		if len(p.Spec.MatchConditions) != 1 || !strings.Contains(p.Spec.MatchConditions[0].Expression, "'"+wantUser+"'") {
			t.Errorf("ValidatingAdmissionPolicy/%s does not match exactly %s", p.Name, wantUser)
		}
		if len(p.Spec.Validations) == 0 {
			t.Errorf("ValidatingAdmissionPolicy/%s validates nothing", p.Name)
		}
	}
	if !policies["rigger-tenant-namespaces-only"] {
		t.Error("no ValidatingAdmissionPolicy confines the worker to tenant-* namespaces")
	}
	for _, b := range ofType[*admissionv1.ValidatingAdmissionPolicyBinding](objs) {
		if !policies[b.Spec.PolicyName] || !slices.Contains(b.Spec.ValidationActions, admissionv1.Deny) {
			t.Errorf("ValidatingAdmissionPolicyBinding/%s: policy %q with actions %v, want a rendered policy with Deny", b.Name, b.Spec.PolicyName, b.Spec.ValidationActions)
		}
		delete(policies, b.Spec.PolicyName)
	}
	for p := range policies {
		t.Errorf("ValidatingAdmissionPolicy/%s is not bound", p)
	}
	// The tenant prefix the policy allows is internal/tenant.Namespace's.
	src, err := os.ReadFile(filepath.Join(root(t), "internal", "tenant", "names.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), `func Namespace(slug string) string { return "tenant-" + slug }`) {
		t.Error(`internal/tenant.Namespace no longer returns "tenant-" + slug: update admission-policy.yaml`)
	}
}

func checkConfigMap(t *testing.T, objs []object, rc renderCase) {
	t.Helper()
	cfg := riggerConfig(t)
	for _, cm := range ofType[*corev1.ConfigMap](objs) {
		if !strings.HasPrefix(cm.Name, configMapName+"-") {
			t.Errorf("ConfigMap/%s: expected the generated %s-<hash>", cm.Name, configMapName)
		}
		for k, v := range cm.Data {
			if !cfg.all[k] {
				t.Errorf("ConfigMap/%s: key %s is not read by internal/config/config.go", cm.Name, k)
			}
			if cfg.secrets[strings.TrimSuffix(k, "_FILE")] && !strings.HasSuffix(k, "_FILE") {
				t.Errorf("ConfigMap/%s: %s is a secret: it belongs in %s", cm.Name, k, secretName)
			}
			if k == "RIGGER_TASK_QUEUES" || k == "RIGGER_KUBE_IN_CLUSTER" || strings.HasSuffix(k, "_ADDR") {
				t.Errorf("ConfigMap/%s: %s is per process, set it on the Deployment", cm.Name, k)
			}
			if v == "" {
				t.Errorf("ConfigMap/%s: %s is empty (leave it out to get the default)", cm.Name, k)
			}
		}
		if cm.Data["TEMPORAL_ADDRESS"] == "" || cm.Data["TEMPORAL_NAMESPACE"] == "" || cm.Data["RIGGER_LOG_FORMAT"] != "json" {
			t.Errorf("ConfigMap/%s: needs TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and RIGGER_LOG_FORMAT=json", cm.Name)
		}
		if rc.production {
			if cm.Data["TEMPORAL_TLS"] != "true" {
				t.Errorf("production ConfigMap: TEMPORAL_TLS=%q, want true", cm.Data["TEMPORAL_TLS"])
			}
			for _, k := range []string{"TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CA"} {
				if !strings.HasPrefix(cm.Data[k], "/etc/rigger/temporal-tls/") {
					t.Errorf("production ConfigMap: %s=%q is not in the mounted temporal-tls secret", k, cm.Data[k])
				}
			}
		}
	}
}

func checkServiceMonitors(t *testing.T, objs []object) {
	t.Helper()
	services := ofType[*corev1.Service](objs)
	for _, sm := range ofType[*monitoringv1.ServiceMonitor](objs) {
		found := false
		for _, s := range services {
			if !selects(&sm.Spec.Selector, s.Labels) || !slices.Contains(sm.Spec.NamespaceSelector.MatchNames, s.Namespace) {
				continue
			}
			found = true
			for _, ep := range sm.Spec.Endpoints {
				if !slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) || ep.Path != "/metrics" {
					t.Errorf("ServiceMonitor/%s endpoint %s%s is not a /metrics port of Service/%s", sm.Name, ep.Port, ep.Path, s.Name)
				}
			}
		}
		if !found {
			t.Errorf("ServiceMonitor/%s selects no Service", sm.Name)
		}
	}
}

// The example Secrets are documentation, never applied by kustomize.
func TestExampleSecretsStayOutOfKustomize(t *testing.T) {
	r := root(t)
	err := filepath.WalkDir(filepath.Join(r, "deploy", "kubernetes"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "kustomization.yaml" {
			return err
		}
		var k struct {
			Resources  []string `yaml:"resources"`
			Components []string `yaml:"components"`
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := yaml.Unmarshal(b, &k); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		for _, res := range k.Resources {
			if strings.Contains(res, "example") || strings.Contains(strings.ToLower(res), "secret") {
				t.Errorf("%s lists %s: secrets are referenced, never shipped", p, res)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, objs := range [][]object{render(t, "deploy/kubernetes/overlays/production", true)} {
		for _, o := range objs {
			if o.gvk.Kind == "Secret" {
				t.Errorf("rendered output contains %s", o)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// docker-compose.yml

func asStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return strings.Fields(x)
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

func composeEnv(v any) map[string]string {
	out := map[string]string{}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			out[k] = fmt.Sprint(val)
		}
	case []any:
		for _, e := range x {
			k, val, _ := strings.Cut(fmt.Sprint(e), "=")
			out[k] = val
		}
	}
	return out
}

func TestDockerCompose(t *testing.T) {
	r := root(t)
	b, err := os.ReadFile(filepath.Join(r, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Name     string                    `yaml:"name"`
		Services map[string]map[string]any `yaml:"services"`
		Volumes  map[string]any            `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	known := map[string]bool{"image": true, "build": true, "command": true, "entrypoint": true, "environment": true,
		"depends_on": true, "healthcheck": true, "ports": true, "volumes": true, "restart": true, "read_only": true,
		"tmpfs": true, "stop_grace_period": true}
	cfg := riggerConfig(t)
	want := []string{"postgres", "temporal", "temporal-ui", "redis", "minio", "minio-init", "migrate", "api", "worker"}
	for _, s := range want {
		if doc.Services[s] == nil {
			t.Errorf("no %s service", s)
		}
	}
	imageRef := regexp.MustCompile(`^([a-z0-9.-]+(:[0-9]+)?/)?[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$`)
	rigger := map[string]bool{}
	var commands [][]string
	hostPorts := map[string]string{}
	for name, svc := range doc.Services {
		for k := range svc {
			if !known[k] {
				t.Errorf("service %s: unexpected key %q", name, k)
			}
		}
		img, _ := svc["image"].(string)
		if img == "" {
			t.Errorf("service %s: no image", name)
		}
		if !imageRef.MatchString(img) {
			t.Errorf("service %s: image %q is not a pinned reference (name:tag or @sha256)", name, img)
		}
		if _, tag, _ := strings.Cut(img[strings.LastIndex(img, "/")+1:], ":"); tag == "latest" || strings.HasPrefix(tag, "latest-") {
			t.Errorf("service %s: image %q uses latest", name, img)
		}
		if build, ok := svc["build"]; ok {
			rigger[name] = true
			ctx, dockerfile := ".", "Dockerfile"
			switch bv := build.(type) {
			case string:
				ctx = bv
			case map[string]any:
				if c, ok := bv["context"].(string); ok {
					ctx = c
				}
				if d, ok := bv["dockerfile"].(string); ok {
					dockerfile = d
				}
			}
			abs := filepath.Join(r, filepath.FromSlash(ctx))
			if rel, err := filepath.Rel(r, abs); err != nil || strings.HasPrefix(rel, "..") || filepath.IsAbs(ctx) {
				t.Errorf("service %s: build context %q is outside the repository", name, ctx)
			}
			if _, err := os.Stat(filepath.Join(abs, filepath.FromSlash(dockerfile))); err != nil {
				t.Errorf("service %s: dockerfile %s: %v", name, dockerfile, err)
			}
		}
		env := composeEnv(svc["environment"])
		if rigger[name] {
			args := asStrings(svc["command"])
			if err := checkCommand(t, args); err != nil {
				t.Errorf("service %s: command %v: %v", name, args, err)
			}
			commands = append(commands, args)
			if svc["entrypoint"] != nil {
				t.Errorf("service %s overrides the image's /rigger entrypoint", name)
			}
			for k := range env {
				if !cfg.all[k] {
					t.Errorf("service %s: env %s is not read by internal/config/config.go", name, k)
				}
			}
			for _, must := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"} {
				if env[must] == "" {
					t.Errorf("service %s: %s not set", name, must)
				}
			}
		}
		// Host paths bound into containers must exist in the repository.
		for _, v := range asStrings(svc["volumes"]) {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, "./") {
				if _, err := os.Stat(filepath.Join(r, filepath.FromSlash(src))); err != nil {
					t.Errorf("service %s: bind mount %s: %v", name, src, err)
				}
			} else if doc.Volumes != nil {
				if _, ok := doc.Volumes[src]; !ok && !strings.HasPrefix(src, "/") {
					t.Errorf("service %s: named volume %q is not declared", name, src)
				}
			}
		}
		for _, p := range asStrings(svc["ports"]) {
			parts := strings.Split(p, ":")
			if len(parts) < 2 {
				t.Errorf("service %s: port %q publishes a random host port", name, p)
				continue
			}
			hp := strings.Join(parts[:len(parts)-1], ":")
			if other, dup := hostPorts[hp]; dup {
				t.Errorf("host port %s published by %s and %s", hp, other, name)
			}
			hostPorts[hp] = name
		}
		// depends_on: existing services, with a condition that can hold.
		deps := map[string]string{}
		switch dv := svc["depends_on"].(type) {
		case []any:
			for _, d := range dv {
				deps[fmt.Sprint(d)] = "service_started"
			}
		case map[string]any:
			for d, c := range dv {
				cond := "service_started"
				if m, ok := c.(map[string]any); ok && m["condition"] != nil {
					cond = fmt.Sprint(m["condition"])
				}
				deps[d] = cond
			}
		}
		for d, cond := range deps {
			target := doc.Services[d]
			if target == nil {
				t.Errorf("service %s depends on unknown service %q", name, d)
				continue
			}
			switch cond {
			case "service_healthy":
				if target["healthcheck"] == nil {
					t.Errorf("service %s waits for %s to be healthy, but %s has no healthcheck", name, d, d)
				}
			case "service_completed_successfully":
				if rs, _ := target["restart"].(string); rs != "no" {
					t.Errorf("service %s waits for %s to complete, but %s restarts (%q)", name, d, d, rs)
				}
			case "service_started":
			default:
				t.Errorf("service %s: depends_on %s condition %q", name, d, cond)
			}
		}
		// Long-running services report health; one-shots run once. (The
		// Temporal UI image promises no HTTP client to probe itself with, and
		// nothing waits for it.)
		restart, _ := svc["restart"].(string)
		if restart != "no" && svc["healthcheck"] == nil && name != "temporal-ui" {
			t.Errorf("service %s runs continuously but has no healthcheck", name)
		}
		if hc, ok := svc["healthcheck"].(map[string]any); ok {
			test := asStrings(hc["test"])
			if len(test) < 2 || (test[0] != "CMD" && test[0] != "CMD-SHELL") {
				t.Errorf("service %s: healthcheck test %v", name, test)
			}
			if rigger[name] && (test[0] != "CMD" || test[1] != "/healthcheck") {
				t.Errorf("service %s: the distroless image has no shell; use [CMD, /healthcheck, URL]", name)
			}
		}
	}
	for _, want := range [][]string{{"migrate"}, {"setup"}, {"schedules", "sync"}, {"api"}, {"worker"}} {
		if !slices.ContainsFunc(commands, func(c []string) bool { return slices.Equal(c, want) }) {
			t.Errorf("no compose service runs `rigger %s`", strings.Join(want, " "))
		}
	}
	// The API and worker listen where their healthchecks and ports look.
	api := composeEnv(doc.Services["api"]["environment"])
	if api["RIGGER_API_ADDR"] != "0.0.0.0:8080" || api["RIGGER_ADMIN_KEY"] == "" {
		t.Errorf("api: RIGGER_API_ADDR=%q (want 0.0.0.0:8080), RIGGER_ADMIN_KEY set %v", api["RIGGER_API_ADDR"], api["RIGGER_ADMIN_KEY"] != "")
	}
	if w := composeEnv(doc.Services["worker"]["environment"]); w["RIGGER_WORKER_ADDR"] != "0.0.0.0:9090" {
		t.Errorf("worker: RIGGER_WORKER_ADDR=%q, want 0.0.0.0:9090", w["RIGGER_WORKER_ADDR"])
	}
	// Temporal's namespace is the one Rigger uses.
	if ns := composeEnv(doc.Services["temporal"]["environment"])["DEFAULT_NAMESPACE"]; ns != api["TEMPORAL_NAMESPACE"] {
		t.Errorf("temporal creates namespace %q, Rigger uses %q", ns, api["TEMPORAL_NAMESPACE"])
	}
}

// ---------------------------------------------------------------------------
// Dockerfile

func TestDockerfile(t *testing.T) {
	r := root(t)
	f, err := os.Open(filepath.Join(r, "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	cont := ""
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cont += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		lines = append(lines, cont+l)
		cont = ""
	}
	var froms []string
	var finalUser, entrypoint string
	var builds []string
	for _, l := range lines {
		instr, rest, _ := strings.Cut(l, " ")
		switch strings.ToUpper(instr) {
		case "FROM":
			froms = append(froms, rest)
			finalUser, entrypoint = "", ""
		case "USER":
			finalUser = rest
		case "ENTRYPOINT":
			entrypoint = rest
		case "RUN", "ENV":
			if strings.Contains(rest, "go build") {
				builds = append(builds, rest)
			}
			if strings.Contains(rest, "CGO_ENABLED=0") {
				builds = append(builds, "CGO_ENABLED=0")
			}
		}
	}
	if len(froms) < 2 {
		t.Fatalf("not multi-stage: %v", froms)
	}
	if !strings.Contains(froms[0], "golang:${GO_VERSION}") && !strings.Contains(froms[0], "golang:1.") {
		t.Errorf("builder stage %q is not golang", froms[0])
	}
	final := froms[len(froms)-1]
	if final != "gcr.io/distroless/static-debian12:nonroot" && !strings.HasPrefix(final, "scratch") {
		t.Errorf("final stage %q, want distroless static nonroot or scratch", final)
	}
	for _, fr := range froms {
		if strings.Contains(fr, ":latest") {
			t.Errorf("FROM %s uses latest", fr)
		}
	}
	if finalUser == "" || strings.HasPrefix(finalUser, "0") || strings.HasPrefix(finalUser, "root") {
		t.Errorf("final stage USER %q, want a non-root UID", finalUser)
	}
	if entrypoint != `["/rigger"]` {
		t.Errorf("ENTRYPOINT %s, want [\"/rigger\"]", entrypoint)
	}
	all := strings.Join(builds, "\n")
	for _, must := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w"`, "./cmd/rigger", "./deploy/healthcheck"} {
		if !strings.Contains(all, must) {
			t.Errorf("Dockerfile build lacks %s", must)
		}
	}
	for _, p := range []string{"cmd/rigger", "deploy/healthcheck"} {
		if _, err := os.Stat(filepath.Join(r, filepath.FromSlash(p))); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(string(mustRead(t, filepath.Join(r, "deploy", "Dockerfile"))), "--mount=type=cache,target=/go/pkg/mod") {
		t.Error("no module cache mount")
	}
	// The ignore file must keep the build inputs in the context.
	ignore := string(mustRead(t, filepath.Join(r, "deploy", "Dockerfile.dockerignore")))
	for _, l := range strings.Split(ignore, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "!") {
			continue
		}
		for _, needed := range []string{"go.mod", "go.sum", "cmd/rigger/main.go", "internal/config/config.go", "deploy/healthcheck/main.go", "deploy/Dockerfile"} {
			if m, _ := filepath.Match(l, needed); m || needed == l || strings.HasPrefix(needed, strings.TrimSuffix(l, "/")+"/") {
				t.Errorf("Dockerfile.dockerignore pattern %q excludes %s", l, needed)
			}
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ---------------------------------------------------------------------------
// Temporal Helm values and dynamic config

func TestTemporalValues(t *testing.T) {
	r := root(t)
	var values map[string]any
	if err := yaml.Unmarshal(mustRead(t, filepath.Join(r, "deploy", "temporal", "values.yaml")), &values); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	get := func(path ...string) any {
		var cur any = values
		for _, p := range path {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[p]
		}
		return cur
	}
	persistence := []string{"server", "config", "persistence"}
	for _, store := range []string{"default", "visibility"} {
		if name := get(append(persistence, store+"Store")...); name != store {
			t.Errorf("%sStore = %v, want %q", store, name, store)
		}
		sql := append(slices.Clone(persistence), "datastores", store, "sql")
		if p := fmt.Sprint(get(append(sql, "pluginName")...)); p != "postgres12" && p != "postgres12_pgx" {
			t.Errorf("%s store plugin %q, want PostgreSQL (postgres12 or postgres12_pgx)", store, p)
		}
		for _, k := range []string{"databaseName", "connectAddr", "user", "existingSecret"} {
			if get(append(sql, k)...) == nil {
				t.Errorf("%s store: %s not set", store, k)
			}
		}
		if get(append(sql, "password")...) != nil {
			t.Errorf("%s store: a password in values; use existingSecret", store)
		}
	}
	if get("web", "enabled") != true {
		t.Error("Web UI not enabled")
	}
	if ns, _ := get("server", "config", "namespaces", "namespace").([]any); len(ns) == 0 || get("server", "config", "namespaces", "create") != true ||
		fmt.Sprint(ns[0].(map[string]any)["name"]) != "rigger" {
		t.Error("the chart does not create Temporal namespace rigger (Rigger's TEMPORAL_NAMESPACE)")
	}
	for _, img := range []string{"server", "admintools", "web"} {
		path := []string{img, "image", "tag"}
		if img == "server" {
			path = []string{"server", "image", "tag"}
		}
		if tag := fmt.Sprint(get(path...)); tag == "" || tag == "<nil>" || tag == "latest" {
			t.Errorf("%s image tag %q is not pinned", img, tag)
		}
	}
	// Search attributes: every one the workflows declare, as Keyword.
	extra, _ := get("extraObjects").([]any)
	var job string
	for _, e := range extra {
		if s, _ := e.(string); strings.Contains(s, "search-attribute create") {
			job = s
		}
	}
	attrs := searchAttributes(t)
	if job == "" {
		t.Fatal("no extraObjects Job registers search attributes")
	}
	for name, typ := range attrs {
		if typ != "Keyword" {
			t.Errorf("workflows declare %s as %s; values.yaml registers Keyword", name, typ)
		}
		if !regexp.MustCompile(`\b` + name + `\b`).MatchString(job) {
			t.Errorf("search attribute %s is not registered by the values' Job", name)
		}
	}
	if !strings.Contains(job, "--type Keyword") || !strings.Contains(job, "--namespace rigger") {
		t.Error("search attributes must be created as Keyword in namespace rigger")
	}
	// server.dynamicConfig and dynamicconfig.yaml are the same document.
	var file map[string]any
	if err := yaml.Unmarshal(mustRead(t, filepath.Join(r, "deploy", "temporal", "dynamicconfig.yaml")), &file); err != nil {
		t.Fatalf("dynamicconfig.yaml: %v", err)
	}
	checkDynamicConfig(t, file)
	if !reflect.DeepEqual(get("server", "dynamicConfig"), file) {
		t.Error("server.dynamicConfig in values.yaml differs from dynamicconfig.yaml")
	}
}

func checkDynamicConfig(t *testing.T, dc map[string]any) {
	t.Helper()
	if len(dc) == 0 {
		t.Fatal("empty dynamic config")
	}
	key := regexp.MustCompile(`^[a-z]+(\.[A-Za-z0-9]+)+$`)
	for k, v := range dc {
		if !key.MatchString(k) {
			t.Errorf("dynamic config key %q is not service.settingName", k)
		}
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			t.Errorf("%s: want a list of {value, constraints}", k)
			continue
		}
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				t.Errorf("%s: entry %v", k, e)
				continue
			}
			if _, ok := m["value"]; !ok {
				t.Errorf("%s: entry without value", k)
			}
			for f := range m {
				if f != "value" && f != "constraints" {
					t.Errorf("%s: unknown field %q", k, f)
				}
			}
			if c, ok := m["constraints"].(map[string]any); ok {
				for ck := range c {
					if !slices.Contains([]string{"namespace", "namespaceId", "taskQueueName", "taskQueueType", "shardId", "workflowType"}, ck) {
						t.Errorf("%s: unknown constraint %q", k, ck)
					}
				}
			}
		}
	}
	if v, _ := dc["system.forceSearchAttributesCacheRefreshOnRead"].([]any); len(v) > 0 && v[0].(map[string]any)["value"] == true {
		t.Error("forceSearchAttributesCacheRefreshOnRead is a dev-only setting")
	}
}

// ---------------------------------------------------------------------------
// Grafana dashboard

func TestGrafanaDashboard(t *testing.T) {
	b := mustRead(t, filepath.Join(root(t), "deploy", "grafana", "rigger-dashboard.json"))
	var d struct {
		UID        string            `json:"uid"`
		Title      string            `json:"title"`
		Schema     int               `json:"schemaVersion"`
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("rigger-dashboard.json: %v", err)
	}
	if d.UID == "" || d.Title == "" || d.Schema < 30 {
		t.Errorf("uid %q title %q schemaVersion %d", d.UID, d.Title, d.Schema)
	}
	vars := map[string]bool{"__rate_interval": true, "__range": true, "__interval": true}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	ids := map[int]bool{}
	var exprs []string
	type grid struct{ H, W, X, Y int }
	occupied := map[[2]int]int{}
	for _, raw := range d.Panels {
		var p struct {
			ID         int    `json:"id"`
			Type       string `json:"type"`
			Title      string `json:"title"`
			GridPos    grid   `json:"gridPos"`
			Datasource *struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				Expr  string `json:"expr"`
				RefID string `json:"refId"`
			} `json:"targets"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		if ids[p.ID] || p.ID == 0 {
			t.Errorf("panel %q: id %d missing or duplicated", p.Title, p.ID)
		}
		ids[p.ID] = true
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, g)
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, ok := occupied[[2]int{x, y}]; ok {
					t.Errorf("panel %q overlaps panel %d at (%d,%d)", p.Title, other, x, y)
					x, y = g.X+g.W, g.Y+g.H
				}
				occupied[[2]int{x, y}] = p.ID
			}
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: datasource must be the ${datasource} variable", p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no queries", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
			if err := checkPromQL(tg.Expr, vars); err != nil {
				t.Errorf("panel %q: %v in %s", p.Title, err, tg.Expr)
			}
		}
	}
	all := strings.Join(exprs, "\n")
	// Rigger's metrics (api/server.go and those the lead emits) and the Temporal
	// Go SDK's, as exposed with Prometheus naming (counters _total, timers
	// _seconds histograms; contrib/tally NewPrometheusNamingScope).
	for _, m := range []string{
		"rigger_api_requests_total", "rigger_api_request_duration_seconds_bucket", "rigger_runs_total",
		"rigger_billing_invoices_total", "rigger_backups_total", "rigger_drills_total",
		"temporal_workflow_completed_total", "temporal_workflow_failed_total",
		"temporal_activity_execution_latency_seconds_bucket", "temporal_activity_execution_failed_total",
		"temporal_workflow_task_schedule_to_start_latency_seconds_bucket",
		"temporal_activity_schedule_to_start_latency_seconds_bucket", "temporal_worker_task_slots_available",
	} {
		if !regexp.MustCompile(`\b` + m + `\b`).MatchString(all) {
			t.Errorf("dashboard does not use %s", m)
		}
	}
	// The API metric names are the ones api/server.go registers.
	src := string(mustRead(t, filepath.Join(root(t), "api", "server.go")))
	for _, m := range []string{"rigger_api_requests_total", "rigger_api_request_duration_seconds"} {
		if !strings.Contains(src, `"`+m+`"`) {
			t.Errorf("api/server.go no longer registers %s", m)
		}
	}
	for _, l := range []string{`"route", "code"`, `"route"`} {
		if !strings.Contains(src, l) {
			t.Errorf("api/server.go labels changed (want %s)", l)
		}
	}
}

// TestSDKMetricsNaming: the dashboard queries the Temporal SDK metrics by
// their Prometheus names (counters *_total, latencies as *_seconds
// histograms), which is what contrib/tally produces with
// NewPrometheusNamingScope and histogram timers. With the tally reporter's
// defaults, counters lack _total and timers are summaries (no _bucket series,
// quantiles that cannot be aggregated across pods): the SDK panels would be
// empty.
func TestSDKMetricsNaming(t *testing.T) {
	p := filepath.Join(root(t), "workers", "metrics.go")
	src, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("SDK metrics not wired yet (%v)", err)
	}
	for _, want := range []string{"NewPrometheusNamingScope", "HistogramTimerType"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("workers/metrics.go does not use %s: wrap the root scope with sdktally.NewPrometheusNamingScope "+
				"and set tallyprom.Options{DefaultTimerType: tallyprom.HistogramTimerType} so the SDK exposes "+
				"temporal_*_total and temporal_*_seconds_bucket, the names deploy/grafana/rigger-dashboard.json queries", want)
		}
	}
}

// checkPromQL catches the mistakes a dashboard edit makes: unbalanced
// brackets and quotes, and $variables the dashboard does not define.
func checkPromQL(expr string, vars map[string]bool) error {
	if strings.TrimSpace(expr) == "" {
		return fmt.Errorf("empty expression")
	}
	var stack []rune
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	inQuote := false
	for i, c := range expr {
		switch {
		case c == '"' && (i == 0 || expr[i-1] != '\\'):
			inQuote = !inQuote
		case inQuote:
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, c)
		case c == ')' || c == ']' || c == '}':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[c] {
				return fmt.Errorf("unbalanced %q at %d", c, i)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if inQuote || len(stack) > 0 {
		return fmt.Errorf("unclosed quote or bracket")
	}
	for _, m := range regexp.MustCompile(`\$\{?([A-Za-z_]+)`).FindAllStringSubmatch(expr, -1) {
		if !vars[m[1]] {
			return fmt.Errorf("undefined variable $%s", m[1])
		}
	}
	return nil
}
