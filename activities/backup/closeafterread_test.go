package backup

import (
	"errors"
	"testing"
)

// blockingReader's Read waits until released, like a decoder waiting on a
// slow object-store body.
type blockingReader struct {
	entered, release chan struct{}
	closed           bool
}

func (b *blockingReader) Read(p []byte) (int, error) {
	b.entered <- struct{}{}
	<-b.release
	if b.closed {
		return 0, errors.New("read from a closed reader")
	}
	return len(p), nil
}

func TestCloseDuringReadWaitsForTheRead(t *testing.T) {
	b := &blockingReader{entered: make(chan struct{}), release: make(chan struct{})}
	closes := 0
	c := &closeAfterRead{r: b, close: func() { closes++; b.closed = true }}
	done := make(chan error)
	go func() {
		_, err := c.Read(make([]byte, 8))
		done <- err
	}()
	<-b.entered
	c.Close() // must not block, and must not close under the Read
	if b.closed {
		t.Fatal("closed while a Read was running")
	}
	close(b.release)
	if err := <-done; err != nil {
		t.Fatalf("the read in flight failed: %v", err)
	}
	if closes != 1 {
		t.Fatalf("closed %d times after the read returned", closes)
	}
	if _, err := c.Read(make([]byte, 8)); !errors.Is(err, errReaderClosed) {
		t.Fatalf("read after close: %v", err)
	}
	c.Close()
	if closes != 1 {
		t.Fatalf("closed %d times", closes)
	}
}

func TestCloseWithoutReadClosesAtOnce(t *testing.T) {
	closes := 0
	c := &closeAfterRead{r: nil, close: func() { closes++ }}
	c.Close()
	if closes != 1 {
		t.Fatalf("closed %d times", closes)
	}
}
