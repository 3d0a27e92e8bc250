package scaffolder

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func testContext() *Context {
	return &Context{
		Parameters: map[string]any{
			"name":    "shop",
			"port":    8080,
			"enabled": true,
			"off":     false,
			"tags":    []any{"a", "b"},
			"empty":   []any{},
			"repoUrl": "github.com?owner=acme&repo=shop",
			"owner":   "group:platform/web",
			"nested":  map[string]any{"x": map[string]any{"y": "deep"}},
			"blank":   "",
			"nothing": nil,
			"choice":  "Create a new repository",
		},
		Steps: map[string]map[string]any{
			"publish":     {"remoteUrl": "https://github.com/acme/shop", "count": 2},
			"fetch-base":  {"path": "x"},
			"with spaces": {"v": "ok"},
		},
		Secrets: map[string]string{"TOKEN": "s3cret"},
		User:    &User{Ref: "user:default/jdoe", Entity: map[string]any{"metadata": map[string]any{"name": "jdoe"}}},
		Each:    &EachItem{Key: "1", Value: map[string]any{"name": "b"}},
		TaskID:  "task-42",
	}
}

// valueCases are also rendered by Backstage's render logic on real nunjucks
// in TestStepInputsMatchBackstageRender.
var valueCases = []struct {
	in   any
	want any
	ok   bool
}{
	{"${{ parameters.port }}", 8080.0, true},
	{"${{ parameters.enabled }}", true, true},
	{"${{ parameters.off }}", false, true},
	{"${{ parameters.tags }}", []any{"a", "b"}, true},
	{"${{ parameters.nested }}", map[string]any{"x": map[string]any{"y": "deep"}}, true},
	{"${{ parameters.nothing }}", nil, true},
	{"${{ parameters.missing }}", nil, false},
	{"${{ parameters.blank }}", "", true},
	{"", nil, false},
	{"port ${{ parameters.port }}", "port 8080", true},
	{"${{ parameters.port }}${{ parameters.port }}", "80808080", true},
	{" ${{ parameters.port }}", " 8080", true},
	{"${{ parameters.port }}\n", "8080\n", true},
	{"${{ parameters.missing }} ", " ", true},
	{"${{ parameters.port + 1 }}", 8081.0, true},
	{"${{ parameters.port | string }}", "8080", true},
	{"${{ parameters.name if parameters.missing }}", "", true},
	{"${{ parameters.repoUrl | parseRepoUrl }}", map[string]any{"host": "github.com", "owner": "acme", "repo": "shop"}, true},
	{"${{ (parameters.repoUrl | parseRepoUrl).repo }}", "shop", true},
	{"${{ parameters.repoUrl | projectSlug }}", "acme/shop", true},
	{"${{ parameters.owner | parseEntityRef }}", map[string]any{"kind": "group", "namespace": "platform", "name": "web"}, true},
	{"${{ parameters.owner | parseEntityRef | pick('name') }}", "web", true},
	{"${{ steps.publish.output.remoteUrl }}", "https://github.com/acme/shop", true},
	{"${{ steps['fetch-base'].output.path }}", "x", true},
	{"${{ steps['with spaces'].output.v }}", "ok", true},
	{"${{ steps.publish.output.count }}", 2.0, true},
	{"${{ secrets.TOKEN }}", "s3cret", true},
	{"${{ user.ref }} ${{ user.entity.metadata.name }}", "user:default/jdoe jdoe", true},
	{"${{ each.key }}:${{ each.value.name }}", "1:b", true},
	{"${{ context.task.id }}", "task-42", true},
	{"${{ parameters.choice === 'Create a new repository' }}", true, true},
	{"plain text", "plain text", true},
	{42, 42.0, true},
	{map[string]any{"a": "${{ parameters.port }}", "b": "${{ parameters.missing }}", "c": []any{"${{ parameters.missing }}", "x"}},
		map[string]any{"a": 8080.0, "c": []any{nil, "x"}}, true},
}

// TestRenderValueTypes covers Backstage's type preservation: a string that is
// exactly one expression keeps the expression's type.
func TestRenderValueTypes(t *testing.T) {
	e := NewEngine(EngineOptions{})
	for _, c := range valueCases {
		got, ok, err := e.RenderValue(context.Background(), c.in, testContext())
		if err != nil {
			t.Errorf("%v: %v", c.in, err)
			continue
		}
		if ok != c.ok || (ok && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("%#v: got %#v (ok=%v), want %#v (ok=%v)", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestRenderValueErrors(t *testing.T) {
	var reported []string
	lenient := NewEngine(EngineOptions{OnRenderError: func(path string, err error) { reported = append(reported, path) }})
	got, _, err := lenient.RenderValue(context.Background(), map[string]any{"msg": "count: ${#arr[@]}", "x": "${{ parameters.name.nope() }}"}, testContext())
	if err != nil || got.(map[string]any)["msg"] != "count: ${#arr[@]}" || got.(map[string]any)["x"] != "${{ parameters.name.nope() }}" || len(reported) != 2 {
		t.Fatalf("Backstage keeps unrenderable strings: %#v %v %v", got, err, reported)
	}
	e := NewEngine(EngineOptions{Strict: true})
	_, _, err = e.RenderValue(context.Background(), map[string]any{"values": map[string]any{"x": "${{ parameters.name.nope() }}"}}, testContext())
	if err == nil || !strings.Contains(err.Error(), "values.x") || !strings.Contains(err.Error(), "Unable to call") {
		t.Fatalf("got %v", err)
	}
	_, _, err = e.RenderValue(context.Background(), "${{ parameters.repoUrl | parseRepoUrl }}", &Context{Parameters: map[string]any{"repoUrl": "example.org?repo=x"}})
	if err == nil || !strings.Contains(err.Error(), "No matching integration configuration for host example.org") {
		t.Fatalf("got %v", err)
	}
}

func TestShouldRun(t *testing.T) {
	e := NewEngine(EngineOptions{})
	cases := []struct {
		cond any
		want bool
	}{
		{nil, true}, {true, true}, {false, false},
		{"${{ parameters.enabled }}", true},
		{"${{ parameters.off }}", false},
		{"${{ parameters.empty }}", false}, // isTruthy: [] is false
		{"${{ parameters.tags }}", true},
		{"${{ parameters.missing }}", false},
		{"${{ parameters.off !== true }}", true},
		{"${{ parameters.choice === 'Create a new repository' }}", true},
		{"${{ not parameters.enabled }}", false},
		{"false", true}, // a non-empty string is truthy, as in Backstage
		{"", false},
	}
	for _, c := range cases {
		got, err := e.ShouldRun(context.Background(), c.cond, testContext())
		if err != nil || got != c.want {
			t.Errorf("if %#v: got %v, %v; want %v", c.cond, got, err, c.want)
		}
	}
}

func TestIterations(t *testing.T) {
	e := NewEngine(EngineOptions{})
	items, err := e.Iterations(context.Background(), "${{ parameters.tags }}", testContext())
	if err != nil || !reflect.DeepEqual(items, []EachItem{{"0", "a"}, {"1", "b"}}) {
		t.Fatalf("array: %v %v", items, err)
	}
	items, err = e.Iterations(context.Background(), "${{ parameters.nested }}", testContext())
	if err != nil || len(items) != 1 || items[0].Key != "x" {
		t.Fatalf("object: %v %v", items, err)
	}
	if _, err := e.Iterations(context.Background(), "${{ parameters.missing }}", testContext()); err == nil {
		t.Fatal("undefined each must fail")
	}
}

func TestRenderOutputHidesFalsyLinks(t *testing.T) {
	e := NewEngine(EngineOptions{})
	out, err := e.RenderOutput(context.Background(), map[string]any{
		"links": []any{
			map[string]any{"title": "Repo", "url": "${{ steps.publish.output.remoteUrl }}"},
			map[string]any{"title": "PR", "if": "${{ parameters.off }}", "url": "x"},
		},
		"text":  []any{map[string]any{"title": "t", "content": "Port ${{ parameters.port }}"}},
		"extra": "${{ parameters.port }}",
	}, testContext())
	if err != nil {
		t.Fatal(err)
	}
	links := out["links"].([]any)
	if len(links) != 1 || links[0].(map[string]any)["url"] != "https://github.com/acme/shop" {
		t.Fatalf("links: %#v", links)
	}
	if out["extra"] != 8080.0 || out["text"].([]any)[0].(map[string]any)["content"] != "Port 8080" {
		t.Fatalf("output: %#v", out)
	}
}

func TestBackstageFilters(t *testing.T) {
	t.Run("parseRepoUrl", func(t *testing.T) {
		cases := []struct {
			in      string
			want    map[string]any
			wantErr string
		}{
			{"github.com?owner=o&repo=r", map[string]any{"host": "github.com", "owner": "o", "repo": "r"}, ""},
			{"github.com?repo=r&owner=/o/", map[string]any{"host": "github.com", "owner": "o", "repo": "r"}, ""},
			{"dev.azure.com?owner=p&repo=r&organization=org&project=p", map[string]any{"host": "dev.azure.com", "owner": "p", "repo": "r", "organization": "org", "project": "p"}, ""},
			{"gitlab.com?project=123", map[string]any{"host": "gitlab.com", "project": "123"}, ""},
			{"bitbucket.org?workspace=w&project=p&repo=r", map[string]any{"host": "bitbucket.org", "workspace": "w", "project": "p", "repo": "r"}, ""},
			{"github.com?owner=o", nil, "missing repo"},
			{"gitlab.com?repo=r", nil, "missing owner"},
			{"unknown.example?owner=o&repo=r", nil, "No matching integration configuration for host unknown.example"},
		}
		for _, c := range cases {
			got, err := ParseRepoURL(c.in, nil)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("%s: want error %q, got %v %v", c.in, c.wantErr, got, err)
				}
				continue
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: got %v %v", c.in, got, err)
			}
		}
	})
	t.Run("parseEntityRef", func(t *testing.T) {
		cases := []struct {
			ref      any
			defaults map[string]any
			want     string
			wantErr  string
		}{
			{"group:techdocs", nil, "group/default/techdocs", ""},
			{"component:ns/name", nil, "component/ns/name", ""},
			{"techdocs", map[string]any{"defaultKind": "group", "defaultNamespace": "another-namespace"}, "group/another-namespace/techdocs", ""},
			{"ns/name", map[string]any{"defaultKind": "user"}, "user/ns/name", ""},
			{map[string]any{"kind": "API", "name": "x"}, nil, "API/default/x", ""},
			{"techdocs", nil, "", "had missing or empty kind"},
			{"group:", nil, "", "was not on the form"},
			{"", nil, "", "must not be empty"},
		}
		for _, c := range cases {
			got, err := ParseEntityRef(c.ref, c.defaults)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("%v: want error %q, got %v %v", c.ref, c.wantErr, got, err)
				}
				continue
			}
			if err != nil || got["kind"].(string)+"/"+got["namespace"].(string)+"/"+got["name"].(string) != c.want {
				t.Errorf("%v: got %v %v, want %s", c.ref, got, err, c.want)
			}
		}
	})
	t.Run("pick", func(t *testing.T) {
		obj := map[string]any{"a": map[string]any{"b": []any{map[string]any{"c": "deep"}}}, "x.y": 1.0}
		for path, want := range map[string]any{"a.b[0].c": "deep", "a['b'][0].c": "deep", "a.b.0.c": "deep"} {
			if got := Pick(obj, path); !reflect.DeepEqual(got, want) {
				t.Errorf("pick %s: got %#v", path, got)
			}
		}
		if got := Pick(obj, "a.nope"); got == "deep" {
			t.Error("missing path")
		}
	})
	t.Run("in templates", func(t *testing.T) {
		e := NewEngine(EngineOptions{Integrations: func(h string) string {
			if h == "git.internal" {
				return "gitlab"
			}
			return DefaultIntegrations(h)
		}})
		got, _, err := e.RenderValue(context.Background(), "${{ 'git.internal?owner=g&repo=r' | projectSlug }} ${{ 'group:x' | parseEntityRef({defaultNamespace: 'ns'}) | pick('namespace') }}", nil)
		if err != nil || got != "g/r ns" {
			t.Fatalf("got %v %v", got, err)
		}
	})
}

func TestExampleOutput(t *testing.T) {
	got := ExampleOutput(map[string]any{"type": "object", "properties": map[string]any{
		"remoteUrl": map[string]any{"type": "string"},
		"number":    map[string]any{"type": "number"},
		"ok":        map[string]any{"type": "boolean"},
		"list":      map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		"given":     map[string]any{"type": "string", "examples": []any{"https://x"}},
	}})
	want := map[string]any{"remoteUrl": "<example>", "number": 0.0, "ok": false, "list": []any{"<example>"}, "given": "https://x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
}
