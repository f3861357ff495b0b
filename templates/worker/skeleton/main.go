// ${{ values.name }}: a background worker with health endpoints (see docs/index.md).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// Worker does one unit of work per tick; replace process with the real job.
type Worker struct {
	log       *slog.Logger
	ready     atomic.Bool
	processed atomic.Int64
}

func (w *Worker) process(ctx context.Context) error {
	w.processed.Add(1)
	w.log.InfoContext(ctx, "processed", "count", w.processed.Load())
	return nil
}

// Run processes a unit every interval until ctx ends, each with its own correlation id.
func (w *Worker) Run(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	w.ready.Store(true)
	for {
		select {
		case <-ctx.Done():
			w.ready.Store(false)
			return
		case <-ticker.C:
			// One trace per unit of work, and one correlation id.
			job, span := tracer.Start(withCorrelation(ctx, newID()), "process")
			if err := w.process(job); err != nil {
				span.RecordError(err)
				w.log.ErrorContext(job, "processing failed", "error", err)
			}
			span.End()
		}
	}
}

// Routes: /healthz (alive), /readyz (processing), / (status), /metrics (Prometheus). Every request
// gets a server span that continues the caller's trace (traceparent), a correlation id (X-Request-Id),
// a log line (probes only when they fail) and its count and duration in the metrics; Prometheus'
// scrape gets none of these.
func (w *Worker) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, r *http.Request) {
		writeJSON(rw, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(rw http.ResponseWriter, r *http.Request) {
		if !w.ready.Load() {
			writeJSON(rw, http.StatusServiceUnavailable, map[string]any{"status": "not ready"})
			return
		}
		writeJSON(rw, http.StatusOK, map[string]any{"status": "ready"})
	})
	mux.HandleFunc("GET /{$}", func(rw http.ResponseWriter, r *http.Request) {
		writeJSON(rw, http.StatusOK, map[string]any{"service": "${{ values.name }}", "processed": w.processed.Load()})
	})
	metrics := promhttp.Handler()
	correlated := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" && r.Method == http.MethodGet {
			metrics.ServeHTTP(rw, r)
			return
		}
		id := correlationIDFrom(r.Header.Get("X-Request-Id"))
		rw.Header().Set("X-Request-Id", id)
		ctx := withCorrelation(r.Context(), id)
		started := time.Now()
		rec := &statusRecorder{ResponseWriter: rw, status: http.StatusOK}
		mux.ServeHTTP(rec, r.WithContext(ctx))
		method := metricMethod(r.Method)
		requestsTotal.WithLabelValues(method, strconv.Itoa(rec.status)).Inc()
		requestDuration.WithLabelValues(method).Observe(time.Since(started).Seconds())
		probe := r.URL.Path == "/healthz" || r.URL.Path == "/readyz"
		if !probe || rec.status >= 400 {
			level := slog.LevelInfo
			if rec.status >= 500 {
				level = slog.LevelError
			}
			w.log.Log(ctx, level, "request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"duration_ms", float64(time.Since(started).Microseconds())/1000)
		}
	})
	// Span names carry the method only: paths are unbounded.
	return otelhttp.NewHandler(correlated, "http",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
		otelhttp.WithFilter(func(r *http.Request) bool {
			return r.URL.Path != "/healthz" && r.URL.Path != "/readyz" && r.URL.Path != "/metrics"
		}))
}

// statusRecorder remembers the status a handler wrote, for the request's log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func writeJSON(rw http.ResponseWriter, status int, body any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	_ = json.NewEncoder(rw).Encode(body)
}

func main() {
	service := os.Getenv("SERVICE_NAME")
	if service == "" {
		service = "${{ values.name }}"
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	w := &Worker{log: newLogger(os.Stdout, service)}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	shutdownTelemetry, err := setupTelemetry(ctx)
	if err != nil {
		w.log.Error("telemetry setup failed", "error", err)
		os.Exit(1)
	}

	server := &http.Server{Addr: ":" + port, Handler: w.Routes(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			w.log.Error("server failed", "error", err)
			os.Exit(1)
		}
	}()
	w.log.Info("started", "port", port)
	w.Run(ctx, 10*time.Second)

	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = server.Shutdown(shutdown)
	_ = shutdownTelemetry(shutdown) // the last spans
	w.log.Info("stopped")
}
