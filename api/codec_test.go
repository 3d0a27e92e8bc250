package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/rigger-platform/rigger/workers"
)

// TestCodecEndpoint: the Web UI's codec endpoint decodes encrypted payloads
// for the admin and refuses unauthenticated callers.
func TestCodecEndpoint(t *testing.T) {
	codec, err := workers.NewAESCodec(map[string][]byte{"k1": bytes.Repeat([]byte{9}, 32)}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{AdminKey: "admin-key", Codec: codec, CodecOrigins: []string{"http://127.0.0.1:8233"}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	plain, _ := converter.GetDefaultDataConverter().ToPayload(map[string]string{"tenant": "acme"})
	enc, err := codec.Encode([]*commonpb.Payload{plain})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	post := func(key string) *http.Response {
		req, _ := http.NewRequest("POST", srv.URL+"/codec/decode", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "http://127.0.0.1:8233")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := post(""); resp.StatusCode != 401 {
		t.Fatalf("unauthenticated decode = %d", resp.StatusCode)
	}
	if resp := post("wrong"); resp.StatusCode != 401 {
		t.Fatalf("wrong key decode = %d", resp.StatusCode)
	}
	resp := post("admin-key")
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8233" {
		t.Fatalf("admin decode = %d, CORS %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	var raw json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	var out commonpb.Payloads
	if err := protojson.Unmarshal(raw, &out); err != nil || len(out.Payloads) != 1 {
		t.Fatalf("decode response: %v", err)
	}
	var got map[string]string
	if err := converter.GetDefaultDataConverter().FromPayload(out.Payloads[0], &got); err != nil || got["tenant"] != "acme" {
		t.Fatalf("decoded %v %v", got, err)
	}
	// The preflight needs no credentials and only answers known origins.
	req, _ := http.NewRequest("OPTIONS", srv.URL+"/codec/decode", nil)
	req.Header.Set("Origin", "http://evil.example")
	pre, _ := http.DefaultClient.Do(req)
	if pre.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS allowed an unknown origin")
	}
}
