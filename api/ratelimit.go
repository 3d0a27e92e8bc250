package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters hands out one token bucket per principal's tenant (the admin
// has its own), so one noisy tenant cannot starve the others.
type limiters struct {
	mu    sync.Mutex
	rps   rate.Limit
	burst int
	m     map[string]*rate.Limiter
}

func newLimiters(rps float64, burst int) *limiters {
	if rps <= 0 {
		rps = math.Inf(1)
	}
	if burst <= 0 {
		burst = 1
	}
	return &limiters{rps: rate.Limit(rps), burst: burst, m: map[string]*rate.Limiter{}}
}

// allow takes a token or says how long to wait for one.
func (l *limiters) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	lim, ok := l.m[key]
	if !ok {
		lim = rate.NewLimiter(l.rps, l.burst)
		l.m[key] = lim
	}
	l.mu.Unlock()
	r := lim.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return false, d
	}
	return true, 0
}

func writeRateLimited(w http.ResponseWriter, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "too many requests for this tenant; retry after " + strconv.Itoa(secs) + "s"})
}
