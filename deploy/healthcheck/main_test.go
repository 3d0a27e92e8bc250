package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	codes := map[string]int{"/healthz": http.StatusOK, "/readyz": http.StatusServiceUnavailable}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := codes[r.URL.Path]; ok {
			w.WriteHeader(c)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(500 * time.Millisecond)
	}))
	defer slow.Close()
	for _, tc := range []struct {
		url  string
		want int
	}{
		{srv.URL + "/healthz", 0},
		{srv.URL + "/readyz", 1},
		{srv.URL + "/missing", 1},
		{"http://127.0.0.1:1/healthz", 1},
		{slow.URL, 1},
	} {
		if got := check(tc.url, 100*time.Millisecond); got != tc.want {
			t.Errorf("check(%s) = %d, want %d", tc.url, got, tc.want)
		}
	}
}
