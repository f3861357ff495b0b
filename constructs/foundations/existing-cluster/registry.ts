import type { Release } from "@cdktf/provider-helm/lib/release";
import { Construct } from "constructs";
import type { PlatformContext, RegistryCapability, Scheduling } from "../../context";
import { manifestsRelease, valuesFile } from "../../helm";
import { platformNamespace } from "../../namespace";

/** Where the in-cluster registry runs. */
const REGISTRY_NAMESPACE = "registry";
/** The registry's port, in the pod and on its ClusterIP Service. */
const REGISTRY_PORT = 5000;
/** Where kaniko pushes: the ClusterIP Service, plain HTTP inside the cluster. */
export const REGISTRY_PUSH_HOST = `registry.${REGISTRY_NAMESPACE}.svc.cluster.local:${REGISTRY_PORT}`;
/** Repository prefix of the platform's images. */
const REGISTRY_PREFIX = "fawkes";
/**
 * CNCF Distribution 3.0.0, the official image (Docker Hub's `registry`), pinned by tag. Its digest
 * is not pinned: it could not be read where this was written (no registry access); pin `@sha256:` when upgrading.
 */
export const LOCAL_REGISTRY_IMAGE = "docker.io/library/registry:3.0.0";
/** The only namespace whose pods may push (the Jenkins builder pods run there). */
const PUSH_NAMESPACE = "jenkins";
/**
 * Where kind and k3d nodes live: Docker's default bridge pools (172.17-31.x), apart from both tools'
 * pod ranges (10.244/16, 10.42/16). Nodes reach the registry through the node port.
 */
export const DEFAULT_NODE_CIDRS = ["172.16.0.0/12"];
const UID = 1000;

export interface LocalRegistryProps {
  /** The node port nodes pull through (`localhost:<port>`). */
  readonly nodePort: number;
  /** Networks of the nodes, let in by the NetworkPolicy. */
  readonly nodeCidrs: string[];
  readonly storageClass: string;
  readonly scheduling: Scheduling;
  /** Keep the volume (and so the images) on `cdktf destroy` and helm uninstall. */
  readonly keep: boolean;
}

/**
 * An in-cluster registry for a laptop: pushed to by its Service name over plain HTTP (kaniko's
 * `--insecure-registry`), pulled by containerd through each node's `localhost:<nodePort>`
 * (containerd speaks plain HTTP to localhost without configuration). No credentials: the
 * NetworkPolicy lets in only the Jenkins namespace and the nodes. Tags are not immutable (deploys
 * are by digest) and nothing scans on push (the pipeline's Trivy gate does).
 */
export class LocalRegistry extends Construct {
  readonly release: Release;
  readonly capability: RegistryCapability;

  constructor(scope: Construct, id: string, ctx: PlatformContext, props: LocalRegistryProps) {
    super(scope, id);
    const ns = platformNamespace(this, ctx, REGISTRY_NAMESPACE, "restricted");
    const spec = valuesFile("local-registry");
    const labels = { "app.kubernetes.io/name": "registry", "app.kubernetes.io/part-of": "fawkes" };
    const { nodeSelector, tolerations } = props.scheduling;
    const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: REGISTRY_NAMESPACE, labels, ...extra });
    const port = { name: "http", port: REGISTRY_PORT, targetPort: "http", protocol: "TCP" };
    this.release = manifestsRelease(this, "Release", ctx, {
      name: "registry",
      namespace: REGISTRY_NAMESPACE,
      dependsOn: [ns],
      manifests: [
        { apiVersion: "v1", kind: "Service", metadata: meta("registry"), spec: { type: "ClusterIP", selector: labels, ports: [port] } },
        {
          apiVersion: "v1",
          kind: "Service",
          metadata: meta("registry-nodeport"),
          spec: { type: "NodePort", selector: labels, ports: [{ ...port, nodePort: props.nodePort }] },
        },
        {
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: meta("registry-ingress"),
          spec: {
            podSelector: { matchLabels: labels },
            policyTypes: ["Ingress"],
            ingress: [
              {
                from: [
                  { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": PUSH_NAMESPACE } } },
                  ...props.nodeCidrs.map((cidr) => ({ ipBlock: { cidr } })),
                ],
                ports: [{ port: REGISTRY_PORT, protocol: "TCP" }],
              },
            ],
          },
        },
        {
          apiVersion: "apps/v1",
          kind: "StatefulSet",
          // As for the databases: helm leaves a kept StatefulSet (and its volume) in place.
          metadata: meta("registry", { annotations: props.keep ? { "helm.sh/resource-policy": "keep" } : {} }),
          spec: {
            serviceName: "registry",
            replicas: 1,
            selector: { matchLabels: labels },
            // The images outlive the StatefulSet.
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
            template: {
              metadata: { labels },
              spec: {
                automountServiceAccountToken: false,
                securityContext: { runAsNonRoot: true, runAsUser: UID, runAsGroup: UID, fsGroup: UID, seccompProfile: { type: "RuntimeDefault" } },
                ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
                tolerations,
                containers: [
                  {
                    name: "registry",
                    image: LOCAL_REGISTRY_IMAGE,
                    env: [
                      { name: "REGISTRY_HTTP_ADDR", value: `:${REGISTRY_PORT}` },
                      { name: "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", value: "/var/lib/registry" },
                    ],
                    ports: [{ name: "http", containerPort: REGISTRY_PORT }],
                    // `/v2/` answers 200 once the registry serves (no auth configured).
                    readinessProbe: { httpGet: { path: "/v2/", port: "http" }, periodSeconds: 5, failureThreshold: 3 },
                    livenessProbe: { httpGet: { path: "/v2/", port: "http" }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 6 },
                    resources: spec.resources,
                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                    volumeMounts: [
                      { name: "data", mountPath: "/var/lib/registry" },
                      { name: "tmp", mountPath: "/tmp" },
                    ],
                  },
                ],
                volumes: [{ name: "tmp", emptyDir: {} }],
              },
            },
            volumeClaimTemplates: [
              {
                metadata: { name: "data", labels },
                spec: { accessModes: ["ReadWriteOnce"], storageClassName: props.storageClass, resources: { requests: { storage: spec.storage } } },
              },
            ],
          },
        },
      ],
    });
    this.release.lifecycle = { preventDestroy: props.keep };
    this.capability = {
      pushUrl: `${REGISTRY_PUSH_HOST}/${REGISTRY_PREFIX}`,
      pullUrl: `localhost:${props.nodePort}/${REGISTRY_PREFIX}`,
      dockerConfig: {},
      kanikoFlags: [`--insecure-registry=${REGISTRY_PUSH_HOST}`],
      pushEnv: {},
      scanOnPush: undefined,
      immutableTags: false,
      ready: [this.release],
    };
  }
}
