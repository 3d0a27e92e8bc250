package backup

import (
	"io"

	"github.com/klauspost/compress/zstd"
)

// zstd at its fastest level: COPY text compresses 3-6x, and the fastest
// level keeps compression well ahead of what one PostgreSQL backend sends,
// so the backup is bound by the database, not the worker's CPU. One encoder
// goroutine per table: tables already run in parallel.
func newCompressor(w io.Writer) (*zstd.Encoder, error) {
	return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
}

func newDecompressor(r io.Reader) (*zstd.Decoder, error) {
	return zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
}
