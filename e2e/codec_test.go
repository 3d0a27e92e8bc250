package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"

	"go.temporal.io/api/enums/v1"
)

// TestEncryptedPayloadsEndToEnd: with RIGGER_CODEC_KEYS set, onboarding runs
// as usual while Temporal stores only ciphertext.
func TestEncryptedPayloadsEndToEnd(t *testing.T) {
	keys := "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 32))
	p := newPlatform(t, platformOptions{devDefaults: true, codecKeys: keys})
	p.onboardActive("secret-co")
	// Read the raw history with a client that has no codec.
	raw := dialTemporal(t, &platform{temporal: p.temporal})
	iter := raw.GetWorkflowHistory(context.Background(), "onboard/secret-co", "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	ev, err := iter.Next()
	if err != nil {
		t.Fatal(err)
	}
	in := ev.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0]
	if string(in.Metadata["encoding"]) != "binary/encrypted" || bytes.Contains(in.Data, []byte("secret-co")) {
		t.Fatalf("workflow input stored readable: %q", in.Metadata["encoding"])
	}
}
