import type { Values } from "../../helm";

/**
 * The stream labels every log line gets, and nothing else: each distinct value set is a Loki stream,
 * so labels stay bounded (namespaces, services, two environments, a handful of levels). Pod names,
 * containers, trace and request ids go to structured metadata, searchable without multiplying streams.
 */
export const LOG_LABELS = ["namespace", "service", "env", "level"] as const;
/** Per-line values kept as structured metadata (never labels). */
const LOG_METADATA = ["pod", "container", "trace_id", "span_id", "request_id"] as const;
/** Log levels admitted as the `level` label (lower-cased); any other value is left in the line. */
const LOG_LEVELS = ["trace", "debug", "info", "warn", "warning", "error", "fatal", "critical"] as const;
/** Ports of the OTLP receiver on every Alloy pod (and its Service). */
export const OTLP_PORTS = { grpc: 4317, http: 4318 } as const;

export interface AlloyConfigProps {
  /** Loki's push API, e.g. `http://loki.observability.svc:3100/loki/api/v1/push`. */
  readonly lokiPushUrl: string;
  /** Tempo's OTLP gRPC receiver, `host:port`. */
  readonly tempoOtlpGrpc: string;
}

/**
 * Alloy's configuration (the Alloy syntax) for the DaemonSet: each pod tails, through the Kubernetes
 * API, the logs of the pods on its own node (every namespace, platform included), parses JSON lines,
 * labels them with `LOG_LABELS` only; and receives OTLP traces (gRPC and HTTP), adds the Kubernetes
 * namespace and pod, and forwards them to Tempo.
 */
export function alloyConfig(props: AlloyConfigProps): string {
  const q = (s: string) => JSON.stringify(s);
  const levels = LOG_LEVELS.join("|");
  return `// Rendered by Fawkes (constructs/components/observability/collector.ts); edit there, not here.

// ---- Logs: every pod on this node, through the Kubernetes API (no host path mounts) ----
discovery.kubernetes "pods" {
  role = "pod"
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("NODE_NAME")
  }
}

discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets

  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  // service: the pod's controller name (a ReplicaSet's without its hash), then app.kubernetes.io/name when set.
  rule {
    source_labels = ["__meta_kubernetes_pod_controller_name"]
    regex         = "^(.+?)(-[a-f0-9]{6,10})?$"
    target_label  = "service"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    regex         = "^(.+)$"
    target_label  = "service"
  }
  // env: platform components by default, the namespace suffix of a team environment, or the pod's label.
  rule {
    target_label = "env"
    replacement  = "platform"
  }
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    regex         = "^.+-(staging|production)$"
    target_label  = "env"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_fawkes_dev_environment"]
    regex         = "^(.+)$"
    target_label  = "env"
  }
  // pod and container become structured metadata in loki.process (labels only until then).
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
}

loki.source.kubernetes "pods" {
  targets    = discovery.relabel.pods.output
  forward_to = [loki.process.pods.receiver]
}

loki.process "pods" {
  forward_to = [loki.write.loki.receiver]

  // JSON lines: the level and the correlation ids, whatever the logger calls them.
  stage.match {
    selector = ${q('{namespace=~".+"} |~ "^\\\\s*\\\\{"')}
    stage.json {
      expressions = { level = "", severity = "", lvl = "", trace_id = "", traceid = "traceId", span_id = "", spanid = "spanId", request_id = "", requestid = "requestId" }
    }
    stage.template {
      source   = "trace_id"
      template = "{{ or .Value .traceid }}"
    }
    stage.template {
      source   = "span_id"
      template = "{{ or .Value .spanid }}"
    }
    stage.template {
      source   = "request_id"
      template = "{{ or .Value .requestid }}"
    }
    stage.template {
      source   = "level"
      template = "{{ or .Value .severity .lvl }}"
    }
  }
  // Only a known level becomes a label, lower-cased: the label stays bounded.
  stage.regex {
    source     = "level"
    expression = ${q(`(?i)^(?P<known_level>${levels})$`)}
  }
  stage.template {
    source   = "known_level"
    template = "{{ ToLower .Value }}"
  }
  stage.labels {
    values = { level = "known_level" }
  }
  stage.structured_metadata {
    values = { ${LOG_METADATA.map((k) => `${k} = ""`).join(", ")} }
  }
  stage.label_drop {
    values = ["pod", "container"]
  }
}

loki.write "loki" {
  endpoint {
    url = ${q(props.lokiPushUrl)}
  }
}

// ---- Traces: OTLP from the workloads, to Tempo ----
otelcol.receiver.otlp "default" {
  grpc {
    endpoint = "0.0.0.0:${OTLP_PORTS.grpc}"
  }
  http {
    endpoint = "0.0.0.0:${OTLP_PORTS.http}"
  }
  output {
    traces = [otelcol.processor.k8sattributes.default.input]
  }
}

// The sender's namespace and pod (by its connection's IP), for the Explore filters and traces-to-logs.
otelcol.processor.k8sattributes "default" {
  extract {
    metadata = ["k8s.namespace.name", "k8s.pod.name", "k8s.deployment.name"]
  }
  output {
    traces = [otelcol.processor.batch.default.input]
  }
}

otelcol.processor.batch "default" {
  output {
    traces = [otelcol.exporter.otlp.tempo.input]
  }
}

otelcol.exporter.otlp "tempo" {
  client {
    endpoint = ${q(props.tempoOtlpGrpc)}
    // In-cluster and plain: Tempo only admits Alloy (network policy).
    tls {
      insecure = true
    }
  }
}
`;
}

/**
 * The stream labels a rendered config can produce: the relabel targets and `stage.labels` keys
 * that do not start with `__`, minus what `stage.label_drop` removes. Tests hold it to `LOG_LABELS`.
 */
export function streamLabels(config: string): string[] {
  const out = new Set<string>();
  for (const m of config.matchAll(/target_label\s*=\s*"([^"]+)"/g)) if (!m[1].startsWith("__")) out.add(m[1]);
  for (const block of config.matchAll(/stage\.labels\s*\{\s*values\s*=\s*\{([^}]*)\}/g)) {
    for (const m of block[1].matchAll(/(\w+)\s*=/g)) out.add(m[1]);
  }
  for (const block of config.matchAll(/stage\.label_drop\s*\{\s*values\s*=\s*\[([^\]]*)\]/g)) {
    for (const m of block[1].matchAll(/"([^"]+)"/g)) out.delete(m[1]);
  }
  return [...out].sort();
}

/** The computed part of Alloy's chart values: the config, the node name it filters on, the OTLP ports. */
export function alloyValues(config: string): Values {
  return {
    alloy: {
      configMap: { create: true, content: config },
      extraEnv: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
      extraPorts: [
        { name: "otlp-grpc", port: OTLP_PORTS.grpc, targetPort: OTLP_PORTS.grpc, protocol: "TCP" },
        { name: "otlp-http", port: OTLP_PORTS.http, targetPort: OTLP_PORTS.http, protocol: "TCP" },
      ],
    },
  };
}
