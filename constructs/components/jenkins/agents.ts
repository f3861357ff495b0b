import type { Scheduling } from "../../context";
import type { Values } from "../../helm";

/**
 * Raw pod YAML merged into the Kubernetes plugin's agent pod templates: what the chart's fields cannot
 * say (tolerations, pod and container security contexts, volumes). No pod here is privileged, mounts
 * a host path or the Docker socket, or gets a Kubernetes API token.
 */

/** Docker config (a `kubernetes.io/dockerconfigjson` secret) kaniko pushes with; optional, created by the operator. */
export const KANIKO_DOCKER_CONFIG = "kaniko-docker-config";

/** The agent container (jenkins/inbound-agent runs as uid 1000): restricted as the Pod Security Standard says. */
const JNLP_SECURITY = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ["ALL"] },
};

function tolerations(pool: Scheduling): Values | undefined {
  return pool.tolerations.length ? { tolerations: pool.tolerations } : undefined;
}

/** The default agent: the inbound agent alone, restricted. */
export function defaultAgentPod(pool: Scheduling): Values {
  return {
    apiVersion: "v1",
    kind: "Pod",
    spec: {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
      ...tolerations(pool),
      containers: [{ name: "jnlp", securityContext: JNLP_SECURITY }],
    },
  };
}

/**
 * The `kaniko` agent: the inbound agent plus kaniko, which builds and pushes images from a Dockerfile
 * in user space, without a Docker daemon or privileges. Kaniko unpacks base images into its own root
 * filesystem, so its container runs as uid 0, not privileged, with the runtime's default capabilities
 * and seccomp profile and no privilege escalation (the baseline Pod Security Standard).
 */
export function kanikoAgentPod(pool: Scheduling): Values {
  return {
    apiVersion: "v1",
    kind: "Pod",
    spec: {
      automountServiceAccountToken: false,
      securityContext: { fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
      ...tolerations(pool),
      containers: [
        { name: "jnlp", securityContext: JNLP_SECURITY },
        {
          name: "kaniko",
          securityContext: { runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false, privileged: false },
          volumeMounts: [{ name: "docker-config", mountPath: "/kaniko/.docker", readOnly: true }],
        },
      ],
      volumes: [
        { name: "docker-config", secret: { secretName: KANIKO_DOCKER_CONFIG, optional: true, items: [{ key: ".dockerconfigjson", path: "config.json" }] } },
      ],
    },
  };
}
