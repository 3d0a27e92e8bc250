package api

import (
	"net/http"
	"slices"

	"go.temporal.io/sdk/converter"
)

// mountCodec serves the payload codec endpoint the Temporal Web UI calls
// (POST {endpoint}/encode and /decode) so authorised operators read
// encrypted inputs and results. Only the platform admin may call it; the
// browser's CORS preflight is answered for the configured UI origins.
func (s *Server) mountCodec(mux *http.ServeMux) {
	if s.Codec == nil {
		return
	}
	h := converter.NewPayloadCodecHTTPHandler(s.Codec)
	serve := func(w http.ResponseWriter, r *http.Request) {
		s.cors(w, r)
		h.ServeHTTP(w, r)
	}
	s.route(mux, "POST /codec/encode", platformAdmin, serve)
	s.route(mux, "POST /codec/decode", platformAdmin, serve)
	mux.HandleFunc("OPTIONS /codec/{op}", func(w http.ResponseWriter, r *http.Request) {
		s.cors(w, r)
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Server) cors(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" || !slices.Contains(s.CodecOrigins, origin) {
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Access-Control-Allow-Credentials", "true")
	w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
	w.Header().Add("Vary", "Origin")
}
