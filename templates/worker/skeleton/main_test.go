package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

const (
	traceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	parentSpan  = "00f067aa0ba902b7"
	traceparent = "00-" + traceID + "-" + parentSpan + "-01"
)

// The tests' tracer provider: real spans (new span ids), exported nowhere; W3C propagation as in production.
func TestMain(m *testing.M) {
	installPropagator()
	otel.SetTracerProvider(sdktrace.NewTracerProvider())
	os.Exit(m.Run())
}

var shape = []string{"timestamp", "level", "service", "message", "correlation_id", "trace_id", "span_id"}

func newTestWorker(out io.Writer) *Worker {
	return &Worker{log: newLogger(out, "${{ values.name }}")}
}

func TestProbes(t *testing.T) {
	w := newTestWorker(io.Discard)
	srv := httptest.NewServer(w.Routes())
	defer srv.Close()

	if res, _ := http.Get(srv.URL + "/healthz"); res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: got %d", res.StatusCode)
	}
	if res, _ := http.Get(srv.URL + "/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz before Run: got %d, want 503", res.StatusCode)
	}
	w.ready.Store(true)
	if res, _ := http.Get(srv.URL + "/readyz"); res.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: got %d", res.StatusCode)
	}
	if res, _ := http.Get(srv.URL + "/"); res.StatusCode != http.StatusOK {
		t.Fatalf("/: got %d", res.StatusCode)
	}
}

func TestRequestIDIsEchoed(t *testing.T) {
	srv := httptest.NewServer(newTestWorker(io.Discard).Routes())
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
	req.Header.Set("X-Request-Id", "trace-me")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Header.Get("X-Request-Id"); got != "trace-me" {
		t.Fatalf("X-Request-Id: got %q", got)
	}
	if got := correlationIDFrom("bad value with spaces"); len(got) != 36 {
		t.Fatalf("a bad id is replaced by a new one, got %q", got)
	}
}

func TestRunProcessesAndLogsTheShape(t *testing.T) {
	var out bytes.Buffer
	w := newTestWorker(&out)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	w.Run(ctx, 10*time.Millisecond)
	if w.processed.Load() == 0 {
		t.Fatal("nothing processed")
	}
	if w.ready.Load() {
		t.Fatal("still ready after the context ended")
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.SplitN(out.Bytes(), []byte("\n"), 2)[0], &line); err != nil {
		t.Fatal(err)
	}
	for _, key := range shape {
		if _, ok := line[key]; !ok {
			t.Errorf("log line without %q: %v", key, line)
		}
	}
	if line["level"] != "info" || line["correlation_id"] == nil {
		t.Errorf("level or correlation id: %v", line)
	}
	if id, _ := line["trace_id"].(string); len(id) != 32 {
		t.Errorf("a unit of work is traced, got trace_id %v", line["trace_id"])
	}
}

func TestIncomingTraceparentIsContinued(t *testing.T) {
	var out bytes.Buffer
	srv := httptest.NewServer(newTestWorker(&out).Routes())
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	req.Header.Set("traceparent", traceparent)
	req.Header.Set("X-Request-Id", "req-42")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	var line map[string]any
	if err := json.Unmarshal(bytes.SplitN(out.Bytes(), []byte("\n"), 2)[0], &line); err != nil {
		t.Fatalf("one log line per request: %v (%q)", err, out.String())
	}
	for _, key := range shape {
		if _, ok := line[key]; !ok {
			t.Errorf("log line without %q: %v", key, line)
		}
	}
	if line["trace_id"] != traceID || line["correlation_id"] != "req-42" {
		t.Errorf("the caller's trace and correlation id: %v", line)
	}
	if id, _ := line["span_id"].(string); len(id) != 16 || id == parentSpan {
		t.Errorf("the server span is a child of the caller's, got span_id %v", line["span_id"])
	}
}

func TestOutgoingCallsCarryTheTrace(t *testing.T) {
	var got http.Header
	downstream := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer downstream.Close()
	ctx, span := tracer.Start(withCorrelation(context.Background(), "req-7"), "work")
	req, err := newOutgoingRequest(ctx, http.MethodGet, downstream.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tracedClient.Do(req)
	span.End()
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if parts := strings.Split(got.Get("traceparent"), "-"); len(parts) != 4 || parts[1] != span.SpanContext().TraceID().String() {
		t.Errorf("traceparent of this trace, got %q", got.Get("traceparent"))
	}
	if got.Get("X-Request-Id") != "req-7" {
		t.Errorf("X-Request-Id: got %q", got.Get("X-Request-Id"))
	}
}

func TestSetupTelemetry(t *testing.T) {
	previous := otel.GetTracerProvider()
	defer otel.SetTracerProvider(previous)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	shutdown, err := setupTelemetry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); !ok {
		t.Errorf("the SDK is the global tracer provider, got %T", otel.GetTracerProvider())
	}
	if err := shutdown(ctx); err != nil {
		t.Errorf("shutdown with nothing to flush: %v", err)
	}
	t.Setenv("OTEL_SDK_DISABLED", "true")
	if shutdown, err = setupTelemetry(ctx); err != nil || shutdown(ctx) != nil {
		t.Errorf("disabled: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	srv := httptest.NewServer(newTestWorker(io.Discard).Routes())
	defer srv.Close()
	if res, err := http.Get(srv.URL + "/"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/: %v", err)
	}
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	for _, want := range []string{`http_requests_total{code="200",method="GET"}`, `http_request_duration_seconds_bucket{method="GET",le="0.5"}`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics without %s", want)
		}
	}
}
