package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

type correlationKey struct{}

var saneID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// correlationIDFrom returns the caller's X-Request-Id when it is a sane token, else a new id.
func correlationIDFrom(header string) string {
	if saneID.MatchString(header) {
		return header
	}
	return newID()
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func withCorrelation(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// correlationHandler adds the context's correlation id and its span's trace_id and span_id (W3C ids,
// lower-case hex; null outside a span) to every line, so Grafana links the line to its trace.
type correlationHandler struct{ slog.Handler }

func (h correlationHandler) Handle(ctx context.Context, r slog.Record) error {
	var id any
	if v, ok := ctx.Value(correlationKey{}).(string); ok {
		id = v
	}
	var traceID, spanID any
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		traceID, spanID = sc.TraceID().String(), sc.SpanID().String()
	}
	r = r.Clone() // the caller's record is not ours to grow
	r.AddAttrs(slog.Any("correlation_id", id), slog.Any("trace_id", traceID), slog.Any("span_id", spanID))
	return h.Handler.Handle(ctx, r)
}

func (h correlationHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return correlationHandler{h.Handler.WithAttrs(attrs)}
}

func (h correlationHandler) WithGroup(name string) slog.Handler {
	return correlationHandler{h.Handler.WithGroup(name)}
}

// newLogger writes the platform's log shape: timestamp, level, service, message, correlation_id, trace_id, span_id.
func newLogger(w io.Writer, service string) *slog.Logger {
	json := slog.NewJSONHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				a.Key = "timestamp"
			case slog.MessageKey:
				a.Key = "message"
			case slog.LevelKey:
				a.Key = "level" // slog's own key, spelled out: the shape is the contract
				a.Value = slog.StringValue(strings.ToLower(a.Value.String()))
			}
			return a
		},
	})
	return slog.New(correlationHandler{json}).With("service", service)
}
