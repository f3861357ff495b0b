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
	"sync/atomic"
	"syscall"
	"time"
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
			job := withCorrelation(ctx, newID())
			if err := w.process(job); err != nil {
				w.log.ErrorContext(job, "processing failed", "error", err)
			}
		}
	}
}

// Routes: /healthz (alive), /readyz (processing), / (status). Every request gets a correlation id.
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
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		id := correlationIDFrom(r.Header.Get("X-Request-Id"))
		rw.Header().Set("X-Request-Id", id)
		mux.ServeHTTP(rw, r.WithContext(withCorrelation(r.Context(), id)))
	})
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
	w.log.Info("stopped")
}
