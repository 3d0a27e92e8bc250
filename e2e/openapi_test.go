package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/rigger-platform/rigger/api"
)

// openapiChecker validates every request and response the e2e tests send
// through the API against the OpenAPI document: the document has to match
// the routes, or the tests fail.
type openapiChecker struct {
	router routers.Router
	mu     sync.Mutex
	errs   []string
}

func newOpenAPIChecker(t testing.TB, baseURL string) *openapiChecker {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIDocument())
	if err != nil {
		t.Fatalf("openapi document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi document invalid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: baseURL}}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	c := &openapiChecker{router: r}
	t.Cleanup(func() {
		for _, e := range c.errs {
			t.Errorf("openapi: %s", e)
		}
	})
	return c
}

func (c *openapiChecker) fail(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func undocumented(path string) bool {
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		if path == p {
			return true
		}
	}
	return false
}

func (c *openapiChecker) wrap(next http.Handler, baseURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if undocumented(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())

		// Validate a copy of the request addressed to the documented server.
		vr := r.Clone(context.Background())
		vr.URL.Scheme, vr.URL.Host = "http", strings.TrimPrefix(baseURL, "http://")
		vr.Body = io.NopCloser(bytes.NewReader(body))
		route, params, err := c.router.FindRoute(vr)
		if err != nil {
			// A 404 for an unknown path is the API doing its job; any other
			// answer means a served route is missing from the document.
			if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
				c.fail("%s %s answered %d but is not in the document", r.Method, r.URL.Path, rec.Code)
			}
			return
		}
		in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && rec.Code < 300 {
			c.fail("%s %s was accepted (%d) but the document says the request is invalid: %v", r.Method, r.URL.Path, rec.Code, err)
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
			Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		out.SetBodyBytes(rec.Body.Bytes())
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			c.fail("%s %s response %d does not match the document: %v", r.Method, r.URL.Path, rec.Code, err)
		}
	})
}
