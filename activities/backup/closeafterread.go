package backup

import (
	"errors"
	"io"
	"sync"
)

// errReaderClosed is what a read after Close gets.
var errReaderClosed = errors.New("backup: reader closed")

// closeAfterRead lets a reader be closed while another goroutine may still
// be inside Read: pgx's CopyFrom returns on a server error without waiting
// for its goroutine that reads the input, and closing a zstd decoder under a
// running Read crashes the process. Close never blocks: when a Read is in
// flight, that Read closes the reader on its way out.
type closeAfterRead struct {
	r       io.Reader
	close   func()
	mu      sync.Mutex
	reading bool
	closed  bool
}

func (c *closeAfterRead) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return 0, errReaderClosed
	}
	c.reading = true
	c.mu.Unlock()

	n, err := c.r.Read(p)

	c.mu.Lock()
	c.reading = false
	if c.closed {
		c.close()
	}
	c.mu.Unlock()
	return n, err
}

// Close closes the underlying reader now, or after the Read in flight.
func (c *closeAfterRead) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	if !c.reading {
		c.close()
	}
}
