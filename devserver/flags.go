package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
)

// options are the parsed command-line settings.
type options struct {
	ip               string
	port             int // 0 = pick a free port
	httpPort         int // 0 = pick a free port, -1 = disabled
	uiPort           int // 0 = pick a free port, -1 = disabled
	dbFilename       string
	namespace        string
	extraNamespaces  []string
	searchAttributes []searchAttribute
	logLevel         string
	uiCodecEndpoint  string
	dynamicConfig    map[string]any
}

// namespaces returns the main namespace followed by the extra ones.
func (o *options) namespaces() []string {
	return append([]string{o.namespace}, o.extraNamespaces...)
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	var extraNS, searchAttrs, dynConf stringList

	fs := flag.NewFlagSet("rigger-devserver", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported as one line by the caller
	fs.StringVar(&o.ip, "ip", "127.0.0.1", "IP address to bind the frontend and UI on")
	fs.IntVar(&o.port, "port", 7233, "frontend gRPC port (0 = pick a free port)")
	fs.IntVar(&o.httpPort, "http-port", 0, "frontend HTTP API port (0 = pick a free port, -1 = disable)")
	fs.IntVar(&o.uiPort, "ui-port", 8233, "Web UI port (0 = pick a free port, -1 = disable the UI)")
	fs.StringVar(&o.dbFilename, "db-filename", "", "SQLite database file (empty = in-memory, lost on exit)")
	fs.StringVar(&o.namespace, "namespace", "default", "namespace to create")
	fs.Var(&extraNS, "extra-namespace", "additional namespace to create (repeatable)")
	fs.Var(&searchAttrs, "search-attribute", "extra search attribute Name=Type (repeatable; added to "+defaultSearchAttributesText()+"); types: "+searchAttributeTypeNames())
	fs.StringVar(&o.logLevel, "log-level", "warn", "server log level: debug, info, warn, error")
	fs.StringVar(&o.uiCodecEndpoint, "ui-codec-endpoint", "", "remote codec endpoint for the Web UI")
	fs.Var(&dynConf, "dynamic-config-value", "dynamic config override KEY=JSON_VALUE (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintln(stderr, "Usage: rigger-devserver [flags]")
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}

	o.extraNamespaces = extraNS
	var err error
	if o.searchAttributes, err = mergeSearchAttributes(defaultSearchAttributes(), searchAttrs); err != nil {
		return nil, err
	}
	if o.dynamicConfig, err = parseDynamicConfigValues(dynConf); err != nil {
		return nil, err
	}
	if o.ip == "localhost" {
		o.ip = "127.0.0.1" // the server wants an IP, not a host name
	}
	return o, o.validate()
}

func (o *options) validate() error {
	if net.ParseIP(o.ip) == nil {
		return fmt.Errorf("--ip %q is not an IP address", o.ip)
	}
	if err := checkPortFlag("--port", o.port, false); err != nil {
		return err
	}
	if err := checkPortFlag("--http-port", o.httpPort, true); err != nil {
		return err
	}
	if err := checkPortFlag("--ui-port", o.uiPort, true); err != nil {
		return err
	}
	if _, err := parseLogLevel(o.logLevel); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, ns := range o.namespaces() {
		if strings.TrimSpace(ns) == "" {
			return errors.New("namespace names must not be empty")
		}
		if seen[ns] {
			return fmt.Errorf("namespace %q given more than once", ns)
		}
		seen[ns] = true
	}
	return nil
}

func checkPortFlag(name string, port int, allowDisable bool) error {
	if port == -1 && allowDisable {
		return nil
	}
	if port < 0 || port > 65535 {
		return fmt.Errorf("%s %d is not a valid port", name, port)
	}
	return nil
}
