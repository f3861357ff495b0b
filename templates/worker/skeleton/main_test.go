package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

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
	for _, key := range []string{"timestamp", "level", "service", "message", "correlation_id", "trace_id", "span_id"} {
		if _, ok := line[key]; !ok {
			t.Errorf("log line without %q: %v", key, line)
		}
	}
	if line["level"] != "info" || line["correlation_id"] == nil {
		t.Errorf("level or correlation id: %v", line)
	}
}
