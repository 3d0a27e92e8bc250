package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi/openapi.yaml
var openapiYAML []byte

var (
	specOnce sync.Once
	spec     *openapi3.T
	specJSON []byte
	specErr  error
)

// OpenAPI returns the API's OpenAPI 3 document, parsed and validated.
func OpenAPI() (*openapi3.T, error) {
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		spec, specErr = loader.LoadFromData(openapiYAML)
		if specErr == nil {
			specErr = spec.Validate(context.Background())
		}
		if specErr == nil {
			specJSON, specErr = json.Marshal(spec)
		}
	})
	return spec, specErr
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	if _, err := OpenAPI(); err != nil {
		writeError(w, errInternal())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(specJSON)
}

// OpenAPIDocument is the raw YAML document, for tools and tests that load
// their own copy.
func OpenAPIDocument() []byte { return append([]byte(nil), openapiYAML...) }
