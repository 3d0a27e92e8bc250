package workers

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Payload metadata written by the codec.
const (
	codecEncoding   = "binary/encrypted"
	codecKeyIDField = "encryption-key-id"
)

// AESCodec encrypts workflow payloads with AES-256-GCM before they reach
// Temporal, so inputs, results and histories are encrypted at rest. Each
// payload names the key that sealed it: after a rotation new payloads use
// the new key while old histories still decode with the old one.
type AESCodec struct {
	current string
	aeads   map[string]cipher.AEAD
}

// NewAESCodec takes keys by ID (32 bytes each) and the ID to encrypt with.
func NewAESCodec(keys map[string][]byte, current string) (*AESCodec, error) {
	c := &AESCodec{current: current, aeads: map[string]cipher.AEAD{}}
	for id, k := range keys {
		if id == "" || strings.ContainsAny(id, ",:") {
			return nil, fmt.Errorf("codec: invalid key id %q", id)
		}
		if len(k) != 32 {
			return nil, fmt.Errorf("codec: key %s must be 32 bytes (AES-256), got %d", id, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		c.aeads[id] = aead
	}
	if _, ok := c.aeads[current]; !ok {
		return nil, fmt.Errorf("codec: current key %q is not among the keys", current)
	}
	return c, nil
}

// ParseCodecKeys reads RIGGER_CODEC_KEYS: "id:base64key,id:base64key", the
// first being the key new payloads are encrypted with.
func ParseCodecKeys(spec string) (*AESCodec, error) {
	keys := map[string][]byte{}
	current := ""
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok {
			return nil, errors.New("codec: RIGGER_CODEC_KEYS entries must be id:base64key")
		}
		k, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("codec: key %s is not base64", id)
		}
		if current == "" {
			current = id
		}
		keys[id] = k
	}
	if current == "" {
		return nil, errors.New("codec: RIGGER_CODEC_KEYS names no key")
	}
	return NewAESCodec(keys, current)
}

// Encode implements converter.PayloadCodec.
func (c *AESCodec) Encode(in []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.current]
	out := make([]*commonpb.Payload, len(in))
	for i, p := range in {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		// The key ID is authenticated data: swapping it is detected.
		sealed := aead.Seal(nonce, nonce, plain, []byte(c.current))
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{converter.MetadataEncoding: []byte(codecEncoding), codecKeyIDField: []byte(c.current)},
			Data:     sealed,
		}
	}
	return out, nil
}

// Decode implements converter.PayloadCodec; payloads it did not encrypt
// pass through, so turning the codec on does not break old histories.
func (c *AESCodec) Decode(in []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(in))
	for i, p := range in {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != codecEncoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[codecKeyIDField])
		aead, ok := c.aeads[id]
		if !ok {
			return nil, fmt.Errorf("codec: payload sealed with unknown key %q", id)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize() {
			return nil, errors.New("codec: encrypted payload too short")
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("codec: payload does not decrypt with key %q: %w", id, err)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, err
		}
		out[i] = &dec
	}
	return out, nil
}
