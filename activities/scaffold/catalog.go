package scaffold

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rigger-platform/rigger/internal/store"
)

// Rigger's catalog: catalog:register records a location (the URL of a
// catalog-info.yaml) in the control-plane store, with the entity it names,
// and its undo removes the location again; catalog:write writes an entity
// file into the workspace.

func catalogTarget(input map[string]any) (string, error) {
	if u, _ := input["catalogInfoUrl"].(string); u != "" {
		return u, nil
	}
	base, _ := input["repoContentsUrl"].(string)
	if base == "" {
		return "", invalidf("catalogInfoUrl or repoContentsUrl is required")
	}
	p, _ := input["catalogInfoPath"].(string)
	if p == "" {
		p = "/catalog-info.yaml"
	}
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(p, "/"), nil
}

// entityRefOf reads the entities of a catalog file and returns the ref of
// the first Component, else of the first entity.
func entityRefOf(data []byte) (string, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first string
	for {
		var e struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name      string `yaml:"name"`
				Namespace string `yaml:"namespace"`
			} `yaml:"metadata"`
		}
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("catalog file: %w", err)
		}
		if e.Kind == "" || e.Metadata.Name == "" {
			continue
		}
		ns := e.Metadata.Namespace
		if ns == "" {
			ns = "default"
		}
		ref := strings.ToLower(e.Kind) + ":" + ns + "/" + e.Metadata.Name
		if strings.EqualFold(e.Kind, "Component") {
			return ref, nil
		}
		if first == "" {
			first = ref
		}
	}
	if first == "" {
		return "", errors.New("catalog file holds no entity")
	}
	return first, nil
}

func catalogRegister() *Action {
	return &Action{
		ID:          "catalog:register",
		Description: "Registers a catalog-info.yaml location in Rigger's catalog and reports the entity it describes. Undo unregisters it, if this run registered it.",
		Input: obj(nil, map[string]any{
			"catalogInfoUrl":  str("URL of the catalog file"),
			"repoContentsUrl": str("Repository contents URL (with catalogInfoPath)"),
			"catalogInfoPath": str("Path of the catalog file in the repository (default /catalog-info.yaml)"),
			"optional":        boolean("Do not fail when the file cannot be read"),
		}),
		Output: obj(nil, map[string]any{
			"entityRef":      str("The registered entity"),
			"catalogInfoUrl": str("The registered location"),
		}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			if a.Store == nil {
				return errNotConfigured("the control-plane store")
			}
			target, err := catalogTarget(x.Input)
			if err != nil {
				return err
			}
			data, err := a.templates().readRemoteFile(ctx, target)
			var ref string
			if err == nil {
				ref, err = entityRefOf(data)
			}
			if err != nil {
				if x.Bool("optional") {
					x.Logf("Could not read %s (%v); optional, so not registered", target, err)
					return nil
				}
				return retryable(err)
			}
			loc, created, err := a.Store.RegisterLocation(ctx, store.CatalogLocation{Tenant: x.Tenant, Target: target, EntityRef: ref, TaskID: x.TaskID})
			if err != nil {
				return retryable(err)
			}
			if created || loc.TaskID == x.TaskID {
				x.Logf("Registered %s (%s)", target, ref)
				x.Undo = map[string]any{"target": target}
			} else {
				x.Logf("%s was registered already (%s)", target, loc.EntityRef)
			}
			x.Output = map[string]any{"entityRef": ref, "catalogInfoUrl": target}
			return nil
		},
		DryRun: func(x *Exec) {
			target, _ := catalogTarget(x.Input)
			ref := "component:default/example"
			p, _ := x.Input["catalogInfoPath"].(string)
			if data, err := x.WS.ReadFile(orDefault(strings.TrimLeft(p, "/"), "catalog-info.yaml")); err == nil {
				if r, err := entityRefOf(data); err == nil {
					ref = r
				}
			}
			x.Output = map[string]any{"entityRef": ref, "catalogInfoUrl": target}
			x.Logf("Dry run: would register %s", target)
		},
		Undo: func(ctx context.Context, a *Activities, u UndoInput) error {
			if a.Store == nil {
				return errNotConfigured("the control-plane store")
			}
			target, err := catalogTarget(u.Input())
			if err != nil {
				return nil
			}
			_, err = a.Store.UnregisterLocation(ctx, u.Tenant, target, u.TaskID)
			return retryable(err)
		},
	}
}

func catalogWrite() *Action {
	return &Action{
		ID:          "catalog:write",
		Description: "Writes a catalog entity as YAML into the workspace (default catalog-info.yaml).",
		Input: obj([]string{"entity"}, map[string]any{
			"filePath": str("Path of the file in the workspace (default catalog-info.yaml)"),
			"entity":   anyObj("The entity to write"),
		}),
		Output: obj(nil, map[string]any{}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			var buf bytes.Buffer
			enc := yaml.NewEncoder(&buf)
			enc.SetIndent(2)
			if err := enc.Encode(x.Input["entity"]); err != nil {
				return invalidf("entity: %v", err)
			}
			p := orDefault(x.Str("filePath"), "catalog-info.yaml")
			if err := x.WS.WriteFile(p, buf.Bytes(), 0o644); err != nil {
				return invalidf("filePath: %v", err)
			}
			x.Changed = true
			x.Logf("Wrote %s", p)
			return nil
		},
	}
}
