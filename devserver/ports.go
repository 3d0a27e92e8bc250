package main

import (
	"fmt"
	"net"
	"strconv"
)

// hostPort joins an IP and port, bracketing IPv6 addresses.
func hostPort(ip string, port int) string {
	return net.JoinHostPort(ip, strconv.Itoa(port))
}

// freePort asks the kernel for an unused TCP port on ip.
//
// Several dev servers may pick ports at the same moment (tests start them in
// parallel), and Linux hands out recently closed ephemeral ports again. To
// keep the port from being re-issued before we bind it, we connect to the
// listener and close the accepted side first: that side's socket sits in
// TIME_WAIT, during which bind(port 0) won't return this port, while an
// explicit bind to it (SO_REUSEADDR, as Go sets) still works.
func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", hostPort(ip, 0))
	if err != nil {
		return 0, fmt.Errorf("picking a free port on %s: %w", ip, err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	client, err := net.Dial("tcp", hostPort(ip, port))
	if err != nil {
		return 0, fmt.Errorf("picking a free port on %s: %w", ip, err)
	}
	defer client.Close()
	server, err := l.Accept()
	if err != nil {
		return 0, fmt.Errorf("picking a free port on %s: %w", ip, err)
	}
	server.Close() // server side closes first and keeps the TIME_WAIT
	return port, nil
}

// portPicker hands out distinct free ports on one IP.
type portPicker struct {
	ip    string
	taken map[int]bool
}

func newPortPicker(ip string) *portPicker {
	return &portPicker{ip: ip, taken: map[int]bool{}}
}

// resolve returns requested if it is > 0 (after checking it is free), or a
// fresh free port if it is 0. what names the port in errors.
func (p *portPicker) resolve(what string, requested int) (int, error) {
	if requested > 0 {
		if err := checkPortFree(p.ip, requested); err != nil {
			return 0, fmt.Errorf("%s port %d on %s is not available: %w", what, requested, p.ip, err)
		}
		p.taken[requested] = true
		return requested, nil
	}
	for range 10 {
		port, err := freePort(p.ip)
		if err != nil {
			return 0, err
		}
		if !p.taken[port] {
			p.taken[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("could not find a free %s port on %s", what, p.ip)
}

// checkPortFree reports whether we can bind ip:port right now.
func checkPortFree(ip string, port int) error {
	l, err := net.Listen("tcp", hostPort(ip, port))
	if err != nil {
		return err
	}
	return l.Close()
}
