package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/bits"
)

// rowDigest is an io.Writer that takes a table's COPY text stream, in chunks
// cut anywhere, and accumulates the rowsum-sha256-v1 checksum (see the
// package doc) and the row count. COPY text escapes newlines inside values,
// so every raw '\n' ends a row.
type rowDigest struct {
	sum   [4]uint64 // 256-bit accumulator; sum[0] is the most significant limb
	rows  int64
	bytes int64
	carry []byte // the start of a row whose end has not arrived yet
}

func (d *rowDigest) Write(p []byte) (int, error) {
	n := len(p)
	d.bytes += int64(n)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			d.carry = append(d.carry, p...)
			break
		}
		if len(d.carry) > 0 {
			d.carry = append(d.carry, p[:i]...)
			d.add(d.carry)
			d.carry = d.carry[:0]
		} else {
			d.add(p[:i])
		}
		p = p[i+1:]
	}
	return n, nil
}

func (d *rowDigest) add(row []byte) {
	h := sha256.Sum256(row)
	var c uint64
	for i := 3; i >= 0; i-- {
		d.sum[i], c = bits.Add64(d.sum[i], binary.BigEndian.Uint64(h[i*8:]), c)
	}
	d.rows++
}

// Sum is the checksum as 64 hex digits. A stream that does not end with a
// newline was cut short.
func (d *rowDigest) Sum() (string, error) {
	if len(d.carry) > 0 {
		return "", errors.New("backup: COPY stream ends inside a row")
	}
	var out [32]byte
	for i, limb := range d.sum {
		binary.BigEndian.PutUint64(out[i*8:], limb)
	}
	return hex.EncodeToString(out[:]), nil
}
