package scaffolder

// APIVersion is the only template apiVersion Rigger runs, as Backstage's
// NunjucksWorkflowRunner does.
const APIVersion = "scaffolder.backstage.io/v1beta3"

// Template is a parsed Backstage software template.
type Template struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
	// Path is where the template file was read from, slash-separated and
	// relative to its location's root; skeleton urls resolve against its
	// directory. Empty when parsed from bytes with no path.
	Path string `json:"-"`
}

// Metadata is the entity metadata of the template.
type Metadata struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Spec is the template's spec. Parameters are JSON Schema pages, kept as
// generic values because they are served to the frontend unchanged
// (GET .../parameter-schema) and compiled for validation.
type Spec struct {
	Owner      string           `json:"owner,omitempty"`
	Type       string           `json:"type,omitempty"`
	Parameters []map[string]any `json:"parameters,omitempty"`
	Steps      []Step           `json:"steps"`
	Output     map[string]any   `json:"output,omitempty"`
	// Extra holds every other spec key (system, presentation,
	// EXPERIMENTAL_recovery, ...) for callers that need them.
	Extra map[string]any `json:"-"`
}

// Step is one action invocation.
type Step struct {
	// ID is the step id; steps without one get "step-<n>" (1-based), as
	// Backstage's router assigns.
	ID     string `json:"id"`
	Name   string `json:"name"`
	Action string `json:"action"`
	// Input is rendered with Engine.RenderValue before the action runs.
	Input map[string]any `json:"input,omitempty"`
	// If is nil (always run), a bool, or a string with ${{ }}.
	If any `json:"if,omitempty"`
	// Each is nil or a value (usually a ${{ }} string) to iterate over.
	Each any `json:"each,omitempty"`
	// Rigger holds the step's `rigger` key: Rigger's own per-step settings
	// (retry policy, timeout, undo opt-out), interpreted by the workflow.
	Rigger map[string]any `json:"rigger,omitempty"`
	// Extra holds any other keys on the step (e.g. backstage:permissions).
	Extra map[string]any `json:"-"`
}
