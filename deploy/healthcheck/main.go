// Command healthcheck is the container healthcheck of the distroless Rigger
// image, which has no shell or curl: it GETs one URL (default
// http://127.0.0.1:8080/healthz) and exits 0 on a 2xx answer, 1 otherwise.
//
//	healthcheck http://127.0.0.1:9090/readyz
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	url := "http://127.0.0.1:8080/healthz"
	if len(os.Args) > 1 {
		url = os.Args[1]
	}
	os.Exit(check(url, 3*time.Second))
}

func check(url string, timeout time.Duration) int {
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintf(os.Stderr, "healthcheck: %s answered %s\n", url, resp.Status)
		return 1
	}
	return 0
}
