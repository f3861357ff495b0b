package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// What the default alerts read (deploy/base/prometheusrule.yaml), served on /metrics: requests by
// method and code (error rate), their duration with the 0.5 s objective as a bucket (latency).
var (
	requestsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "HTTP requests answered.",
	}, []string{"method", "code"})
	requestDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_request_duration_seconds",
		Help:    "Time to answer an HTTP request.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
	}, []string{"method"})
)

// knownMethods bounds the method label: a client cannot grow the series.
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

func metricMethod(m string) string {
	if knownMethods[m] {
		return m
	}
	return "other"
}
