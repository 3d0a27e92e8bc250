package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// webUI is the Temporal Web UI served in-process.
type webUI struct {
	server *uiserver.Server
	url    string
	done   chan error // receives Start's result when the HTTP server exits
}

// startUI starts the UI on ip:port talking to the frontend at frontendAddr.
// The port must have been checked free: ui-server exits the process if it
// cannot listen.
func startUI(ip string, port int, frontendAddr, namespace, codecEndpoint string) *webUI {
	s := uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		Host:                bracketIPv6(ip),
		Port:                port,
		TemporalGRPCAddress: frontendAddr,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		Codec:               uiconfig.Codec{Endpoint: codecEndpoint},
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
		DisableNewsFetch:    true,
	}))
	ui := &webUI{server: s, url: "http://" + hostPort(ip, port), done: make(chan error, 1)}
	go func() { ui.done <- s.Start() }()
	return ui
}

// bracketIPv6 wraps IPv6 literals in brackets: ui-server joins host and port
// with a plain colon.
func bracketIPv6(ip string) string {
	if parsed := net.ParseIP(ip); parsed != nil && parsed.To4() == nil {
		return "[" + ip + "]"
	}
	return ip
}

// waitReady polls the UI's health endpoint until it answers 200.
func (u *webUI) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.url+"/healthz", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("web UI at %s not ready: %w", u.url, context.Cause(ctx))
		case err := <-u.done:
			return fmt.Errorf("web UI at %s stopped: %v", u.url, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (u *webUI) stop() {
	u.server.Stop()
}
