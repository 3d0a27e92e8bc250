package scaffolder

import (
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

// RiggerActions are the actions Rigger implements (issue 3). The action
// registry is the authority; this list is for callers without one.
var RiggerActions = []string{
	"fetch:template", "fetch:template:file", "fetch:plain", "fetch:plain:file",
	"fs:rename", "fs:delete", "fs:readdir", "debug:log", "debug:wait",
	"publish:github", "publish:github:pull-request", "publish:gitlab", "publish:gitlab:merge-request",
	"catalog:register", "catalog:write", "argocd:create-resources", "rigger:approval",
}

// Problem is one reason a template cannot run, found before any side effect.
type Problem struct {
	Step   string `json:"step,omitempty"`   // step id
	Name   string `json:"name,omitempty"`   // step name
	Action string `json:"action,omitempty"` // the step's action
	Field  string `json:"field,omitempty"`  // e.g. input.url
	Path   string `json:"path,omitempty"`   // a missing or refused path
	Msg    string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Step != "" {
		fmt.Fprintf(&b, "step %q", p.Step)
		if p.Name != "" && p.Name != p.Step && p.Name != p.Action {
			fmt.Fprintf(&b, " (%s)", p.Name)
		}
		if p.Action != "" {
			fmt.Fprintf(&b, " action %q", p.Action)
		}
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// ProblemsError is returned by Validate.
type ProblemsError struct{ Problems []Problem }

func (e *ProblemsError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "template cannot run: " + strings.Join(parts, "; ")
}

// fetchActions read a local path from the template's location: the value
// says whether it must be a directory.
var fetchActions = map[string]bool{
	"fetch:template": true, "fetch:plain": true,
	"fetch:template:file": false, "fetch:plain:file": false,
}

// Validate finds what would make a run fail before it has any side effect:
// actions that are not in knownActions, ${{ }} expressions that do not parse
// or use unknown filters, parameter pages that do not compile, and fetch
// urls that name a path missing from src (the template's location, rooted
// where t.Path is relative to) or outside it. A templated url is checked for
// every value its parameter's enum allows. src may be nil to skip path checks.
func (e *Engine) Validate(t *Template, knownActions []string, src fs.FS) error {
	known := map[string]bool{}
	for _, a := range knownActions {
		known[a] = true
	}
	var probs []Problem
	if _, err := CompileParameters(t); err != nil {
		probs = append(probs, Problem{Field: "spec.parameters", Msg: err.Error()})
	}
	for _, s := range t.Spec.Steps {
		at := func(field, path, msg string) {
			probs = append(probs, Problem{Step: s.ID, Name: s.Name, Action: s.Action, Field: field, Path: path, Msg: msg})
		}
		if !known[s.Action] {
			at("", "", fmt.Sprintf("action %q is not a built-in or registered action", s.Action))
		}
		for _, p := range e.checkExpressions(s.Input, "input") {
			at(p.field, "", p.msg)
		}
		for _, p := range e.checkExpressions(s.If, "if") {
			at(p.field, "", p.msg)
		}
		for _, p := range e.checkExpressions(s.Each, "each") {
			at(p.field, "", p.msg)
		}
		wantDir, isFetch := fetchActions[s.Action]
		if !isFetch || src == nil {
			continue
		}
		url, _ := s.Input["url"].(string)
		for _, cand := range e.urlCandidates(t, url) {
			if msg, path := checkFetchPath(src, t.Path, cand, wantDir); msg != "" {
				at("input.url", path, msg)
			}
		}
		if tp, ok := s.Input["targetPath"].(string); ok && !hasTemplateSyntax(tp) {
			if _, err := SafeJoin(".", tp); err != nil {
				at("input.targetPath", tp, err.Error())
			}
		}
	}
	for _, p := range e.checkExpressions(t.Spec.Output, "output") {
		probs = append(probs, Problem{Field: p.field, Msg: p.msg})
	}
	if len(probs) == 0 {
		return nil
	}
	return &ProblemsError{Problems: probs}
}

type exprProblem struct{ field, msg string }

// checkExpressions compiles every templated string in v and reports syntax
// errors and unknown filters.
func (e *Engine) checkExpressions(v any, field string) []exprProblem {
	var out []exprProblem
	switch x := v.(type) {
	case string:
		if !hasTemplateSyntax(x) {
			return nil
		}
		t, err := e.Compile(x)
		if err != nil {
			return []exprProblem{{field, err.Error()}}
		}
		env := e.env(envKey{})
		for _, f := range t.Filters() {
			if !env.HasFilter(f) {
				out = append(out, exprProblem{field, fmt.Sprintf("unknown filter %q", f)})
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, e.checkExpressions(x[k], field+"."+k)...)
		}
	case []any:
		for i, el := range x {
			out = append(out, e.checkExpressions(el, fmt.Sprintf("%s[%d]", field, i))...)
		}
	}
	return out
}

var paramRef = regexp.MustCompile(`^\$\{\{\s*parameters\.([A-Za-z_$][\w$]*)\s*\}\}$`)

// urlCandidates lists the urls a fetch step may use: the literal url, or for
// "${{ parameters.x }}" every enum/const/default value declared for x.
// Other templated urls can only be checked at run time.
func (e *Engine) urlCandidates(t *Template, url string) []string {
	if url == "" {
		return []string{""}
	}
	if !hasTemplateSyntax(url) {
		return []string{url}
	}
	m := paramRef.FindStringSubmatch(url)
	if m == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, page := range t.Spec.Parameters {
		collectPropertyValues(page, m[1], seen, &out, 0)
	}
	sort.Strings(out)
	return out
}

func collectPropertyValues(schema any, prop string, seen map[string]bool, out *[]string, depth int) {
	if depth > 64 {
		return
	}
	switch x := schema.(type) {
	case map[string]any:
		if props, ok := x["properties"].(map[string]any); ok {
			if p, ok := props[prop].(map[string]any); ok {
				add := func(v any) {
					if s, ok := v.(string); ok && !seen[s] {
						seen[s] = true
						*out = append(*out, s)
					}
				}
				if list, ok := p["enum"].([]any); ok {
					for _, v := range list {
						add(v)
					}
				}
				add(p["const"])
				add(p["default"])
			}
		}
		for _, v := range x {
			collectPropertyValues(v, prop, seen, out, depth+1)
		}
	case []any:
		for _, v := range x {
			collectPropertyValues(v, prop, seen, out, depth+1)
		}
	}
}

// checkFetchPath returns a message and the offending path, or "".
func checkFetchPath(src fs.FS, templatePath, url string, wantDir bool) (string, string) {
	if url == "" {
		return "url is required", ""
	}
	p, err := ResolveLocal(templatePath, url)
	if err != nil {
		if _, remote := err.(*RemoteURLError); remote {
			return "", "" // fetched at run time
		}
		return err.Error(), url
	}
	if err := checkNoSymlinks(src, p); err != nil {
		return err.Error(), p
	}
	fi, err := fs.Stat(src, p)
	if err != nil {
		return fmt.Sprintf("%s (resolved to %s) does not exist in the template's location", url, p), p
	}
	if wantDir && !fi.IsDir() {
		return fmt.Sprintf("%s (resolved to %s) is not a directory", url, p), p
	}
	if !wantDir && fi.IsDir() {
		return fmt.Sprintf("%s (resolved to %s) is a directory, expected a file", url, p), p
	}
	return "", ""
}
