package main

import (
	"fmt"
	"strings"

	"go.temporal.io/server/common/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// parseLogLevel validates a --log-level value.
func parseLogLevel(level string) (zapcore.Level, error) {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "debug":
		return zapcore.DebugLevel, nil
	case "info":
		return zapcore.InfoLevel, nil
	case "warn", "warning":
		return zapcore.WarnLevel, nil
	case "error":
		return zapcore.ErrorLevel, nil
	}
	return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
}

// serverLogger is the server's logger: human-readable lines on stderr, with a
// level that can be changed while running.
type serverLogger struct {
	log.Logger
	level zap.AtomicLevel
}

func newServerLogger(level string) (*serverLogger, error) {
	lvl, err := parseLogLevel(level)
	if err != nil {
		return nil, err
	}
	atomic := zap.NewAtomicLevelAt(lvl)
	enc := log.DefaultZapEncoderConfig
	enc.CallerKey = zapcore.OmitKey
	enc.EncodeCaller = nil
	zl, err := zap.Config{
		Level:            atomic,
		Encoding:         "console",
		EncoderConfig:    enc,
		OutputPaths:      []string{"stderr"},
		ErrorOutputPaths: []string{"stderr"},
		DisableCaller:    true,
	}.Build()
	if err != nil {
		return nil, fmt.Errorf("building logger: %w", err)
	}
	return &serverLogger{Logger: log.NewZapLogger(zl), level: atomic}, nil
}

// quietShutdown hides the warnings and errors the services routinely log
// while they stop each other (connection refused, failed polls, cancelled
// long polls), unless the user chose a level other than the default warn.
func (l *serverLogger) quietShutdown() {
	if l.level.Level() == zapcore.WarnLevel {
		l.level.SetLevel(zapcore.DPanicLevel)
	}
}
