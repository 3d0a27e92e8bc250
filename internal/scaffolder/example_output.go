package scaffolder

// ExampleOutput builds a stand-in output from an action's output JSON
// Schema, as Backstage's dry run does for actions that cannot run dry: the
// first of `examples`, or a value per type ("<example>", 0, false, ...), so
// later steps that read steps.x.output still render.
func ExampleOutput(schema map[string]any) any { return exampleOutput(schema, 0) }

func exampleOutput(schema map[string]any, depth int) any {
	if depth > 32 {
		return "<unknown>"
	}
	if ex, ok := schema["examples"].([]any); ok && len(ex) > 0 {
		return ex[0]
	}
	switch schema["type"] {
	case "object":
		out := map[string]any{}
		props, _ := schema["properties"].(map[string]any)
		for k, v := range props {
			sub, _ := v.(map[string]any)
			out[k] = exampleOutput(sub, depth+1)
		}
		return out
	case "array":
		switch items := schema["items"].(type) {
		case map[string]any:
			return []any{exampleOutput(items, depth+1)}
		case []any:
			if len(items) > 0 {
				if first, ok := items[0].(map[string]any); ok {
					return []any{exampleOutput(first, depth+1)}
				}
			}
		}
		return []any{}
	case "string":
		return "<example>"
	case "number", "integer":
		return 0.0
	case "boolean":
		return false
	}
	return "<unknown>"
}
