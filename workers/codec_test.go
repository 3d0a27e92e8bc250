package workers

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"go.temporal.io/sdk/converter"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestAESCodecRoundTripAndRotation(t *testing.T) {
	old, err := NewAESCodec(map[string][]byte{"k1": key(1)}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), old)
	p, err := dc.ToPayload(map[string]string{"slug": "acme", "secret": "s3cr3t"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.Data, []byte("s3cr3t")) || bytes.Contains(p.Data, []byte("acme")) {
		t.Fatal("payload stored in clear text")
	}
	// After rotation, new payloads use k2 and k1's still decode.
	rotated, err := ParseCodecKeys("k2:" + base64.StdEncoding.EncodeToString(key(2)) + ",k1:" + base64.StdEncoding.EncodeToString(key(1)))
	if err != nil {
		t.Fatal(err)
	}
	dc2 := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), rotated)
	var got map[string]string
	if err := dc2.FromPayload(p, &got); err != nil || got["secret"] != "s3cr3t" {
		t.Fatalf("old payload after rotation: %v %v", got, err)
	}
	p2, _ := dc2.ToPayload("new")
	if string(p2.Metadata[codecKeyIDField]) != "k2" {
		t.Fatalf("new payload key id %q", p2.Metadata[codecKeyIDField])
	}
	// A codec that lost k1 refuses k1's payloads with a clear error.
	onlyNew, _ := NewAESCodec(map[string][]byte{"k2": key(2)}, "k2")
	if err := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), onlyNew).FromPayload(p, &got); err == nil || !strings.Contains(err.Error(), `unknown key "k1"`) {
		t.Fatalf("want unknown key error, got %v", err)
	}
	// Tampering is detected.
	p.Data[len(p.Data)-1] ^= 1
	if err := dc2.FromPayload(p, &got); err == nil {
		t.Fatal("tampered payload decoded")
	}
	// Unencrypted payloads pass through.
	plain, _ := converter.GetDefaultDataConverter().ToPayload("clear")
	var s string
	if err := dc2.FromPayload(plain, &s); err != nil || s != "clear" {
		t.Fatalf("plain payload: %q %v", s, err)
	}
}

func TestCodecKeyValidation(t *testing.T) {
	for _, spec := range []string{"", "k1", "k1:notbase64!", "k1:" + base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := ParseCodecKeys(spec); err == nil {
			t.Fatalf("accepted %q", spec)
		}
	}
}
