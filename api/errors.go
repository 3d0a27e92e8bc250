package api

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// apiError is the one error shape every route returns:
// {"error":{"code":"...","message":"...","field":"..."}}.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func errInvalid(field, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "invalid_argument", Field: field, Message: msg}
}

func errNotFound(msg string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: msg}
}

// errNoTenant is the one answer for a tenant that does not exist, is
// deleted, or belongs to someone else: the same status and message, so the
// API is no oracle for other tenants' existence.
func errNoTenant(slug string) *apiError {
	return errNotFound("no tenant " + strconv.Quote(slug))
}

func errConflict(msg string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: "conflict", Message: msg}
}

func errInternal() *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error; the server log has the details under this response's X-Request-ID"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, map[string]*apiError{"error": e})
}
