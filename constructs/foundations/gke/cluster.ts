import { ComputeFirewall } from "@cdktf/provider-google/lib/compute-firewall";
import { ContainerCluster } from "@cdktf/provider-google/lib/container-cluster";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";
import type { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import type { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { GCP_NAME_LIMITS, RANDOM_SUFFIX, fitName } from "./names";
import { POD_RANGE, SERVICE_RANGE } from "./network";

/** Control-plane and node logs shipped to Cloud Logging (audit logs go to Cloud Audit Logs regardless). */
export const CONTROL_PLANE_LOGS = ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER"];
/** How often the secrets key gets a new primary version: 90 days. */
export const KEY_ROTATION_PERIOD = "7776000s";

/**
 * Ports a private cluster's control plane may open on nodes without a firewall rule of ours: GKE's
 * own rule admits only these from the master range (kubelet and 443).
 */
const GKE_MASTER_OPEN_PORTS = [443, 10250];

/**
 * Every admission (or conversion) webhook the platform installs on GKE, with the port its pod
 * listens on, the chart value that sets it and where the number comes from (the pinned chart's
 * default, constructs/catalog.ts; helm-values/ leaves it alone). The API server calls the pod
 * directly on that port, not the Service's 443. CloudNativePG (9443) runs on the laptop only.
 */
export const PLATFORM_WEBHOOKS = [
  { chart: "kyverno", port: 9443, value: "admissionController.webhookServer.port", from: "kyverno 3.9.0 default; the Dojo's MutatingPolicy" },
  { chart: "cert-manager", port: 10250, value: "webhook.securePort", from: "cert-manager v1.21.1 default" },
  { chart: "external-secrets", port: 10250, value: "webhook.port", from: "external-secrets 2.9.0 default" },
  { chart: "kube-prometheus-stack", port: 10250, value: "prometheusOperator.tls.internalPort", from: "kube-prometheus-stack 88.5.3 default" },
] as const;

/**
 * Upstream charts the platform installs that register no webhook the API server calls (read from
 * their pinned values). The project's own charts (fawkes-manifests) render none either.
 */
export const WEBHOOK_FREE_CHARTS = [
  "traefik",
  "external-dns",
  "argo-cd",
  "backstage",
  "jenkins",
  "sonarqube",
  "trivy-operator",
  "grafana",
  // Keycloak: no admission webhook.
  "keycloakx",
  "mattermost-operator",
  "prometheus-pushgateway",
  // The golden path and DORA: no webhook in their templates (devlake 1.0.3-beta10, oauth2-proxy
  // 10.7.0, gitea's as of 2025-12); their subcharts (Bitnami, Grafana, redis-ha) stay off.
  "gitea",
  "devlake",
  "oauth2-proxy",
  // Logs and traces: no webhook (loki 18.11.0's rollout-operator, which has them, stays off).
  "loki",
  "tempo",
  "alloy",
];

/** What the master-to-node firewall rule opens: the webhook ports GKE does not already allow. */
export const WEBHOOK_FIREWALL_PORTS: string[] = [...new Set(PLATFORM_WEBHOOKS.map((w) => w.port))]
  .filter((port) => !GKE_MASTER_OPEN_PORTS.includes(port))
  .sort((a, b) => a - b)
  .map(String);

export interface GkeControlPlaneProps {
  readonly name: string;
  readonly project: string;
  /** Project number: names the GKE service agent that encrypts secrets with the key. */
  readonly projectNumber: string;
  readonly region: string;
  readonly kubernetesVersion: string;
  readonly releaseChannel: "RAPID" | "REGULAR" | "STABLE";
  readonly network: ComputeNetwork;
  readonly subnet: ComputeSubnetwork;
  /** /28 for the control plane's side of the private cluster. */
  readonly masterCidr: string;
  /** Networks allowed to reach the public endpoint. Empty: the control plane has a private endpoint only. */
  readonly apiAllowedCidrs: string[];
  /** Private networks (VPN, peered VPCs) allowed to reach the endpoint, public or private. */
  readonly apiPrivateCidrs: string[];
  /** Node service account, for the bootstrap pool GKE creates and this construct removes. */
  readonly nodeServiceAccount: string;
  /** Random suffix for names GCP never frees (key rings live forever). */
  readonly suffix: string;
  readonly keep: boolean;
  /** The project's APIs and the node identity's roles. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * A regional GKE Standard cluster: private nodes, control plane reachable only from the listed
 * networks (or only privately), Kubernetes secrets encrypted with a rotating Cloud KMS key,
 * workload identity, shielded nodes, Dataplane V2 (eBPF, network policy enforced), on a release channel.
 */
export class GkeControlPlane extends Construct {
  readonly cluster: ContainerCluster;
  /** The cluster's name: the prefix, or a compliant cut of it (GKE allows 40 characters). */
  readonly name: string;
  readonly secretsKey: KmsCryptoKey;
  /** The foundation's key ring (the image registry keeps its key there too). */
  readonly keyRing: KmsKeyRing;
  /** `<project>.svc.id.goog`: Kubernetes service accounts appear to IAM in this pool. */
  readonly workloadPool: string;
  /** Whether the API is reachable only on its private endpoint. */
  readonly privateEndpoint: boolean;
  /** Lets the control plane call the platform's webhooks on the nodes. */
  readonly webhookFirewall: ComputeFirewall;

  constructor(scope: Construct, id: string, props: GkeControlPlaneProps) {
    super(scope, id);
    this.workloadPool = `${props.project}.svc.id.goog`;
    this.privateEndpoint = props.apiAllowedCidrs.length === 0;
    this.name = fitName(props.name, GCP_NAME_LIMITS.cluster);

    // Key rings can never be deleted, so the name carries a suffix: a lab can be destroyed and re-created.
    const ring = new KmsKeyRing(this, "KeyRing", {
      name: `${fitName(props.name, GCP_NAME_LIMITS.kms - RANDOM_SUFFIX - 1)}-${props.suffix}`,
      location: props.region,
      dependsOn: props.dependsOn,
    });
    this.keyRing = ring;
    this.secretsKey = new KmsCryptoKey(this, "SecretsKey", {
      name: "gke-secrets",
      keyRing: ring.id,
      purpose: "ENCRYPT_DECRYPT",
      rotationPeriod: KEY_ROTATION_PERIOD,
      lifecycle: { preventDestroy: props.keep },
    });
    // GKE's service agent encrypts and decrypts the secrets' data keys with it.
    const keyUse = new KmsCryptoKeyIamMember(this, "SecretsKeyUse", {
      cryptoKeyId: this.secretsKey.id,
      role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      member: `serviceAccount:service-${props.projectNumber}@container-engine-robot.iam.gserviceaccount.com`,
    });

    // A private control plane reaches nodes only on GKE's own ports; Kyverno's webhook (9443) would
    // time out, and every pod the Dojo creates would be rejected.
    this.webhookFirewall = new ComputeFirewall(this, "WebhookFirewall", {
      name: fitName(`${props.name}-master-webhooks`, GCP_NAME_LIMITS.compute),
      network: props.network.id,
      description: "GKE control plane to the platform's admission webhooks (see PLATFORM_WEBHOOKS)",
      direction: "INGRESS",
      priority: 1000,
      sourceRanges: [props.masterCidr],
      targetServiceAccounts: [props.nodeServiceAccount],
      allow: [{ protocol: "tcp", ports: WEBHOOK_FIREWALL_PORTS }],
      dependsOn: props.dependsOn,
    });

    const authorized = [
      ...props.apiAllowedCidrs.map((cidrBlock, i) => ({ cidrBlock, displayName: `allowed-${i}` })),
      ...props.apiPrivateCidrs.map((cidrBlock, i) => ({ cidrBlock, displayName: `private-${i}` })),
    ];
    this.cluster = new ContainerCluster(this, "Cluster", {
      name: this.name,
      location: props.region,
      minMasterVersion: props.kubernetesVersion,
      releaseChannel: { channel: props.releaseChannel },
      network: props.network.id,
      subnetwork: props.subnet.id,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: { clusterSecondaryRangeName: POD_RANGE, servicesSecondaryRangeName: SERVICE_RANGE },
      // Dataplane V2: eBPF networking with NetworkPolicy enforcement built in (no separate network_policy block).
      datapathProvider: "ADVANCED_DATAPATH",
      privateClusterConfig: {
        enablePrivateNodes: true,
        enablePrivateEndpoint: this.privateEndpoint,
        masterIpv4CidrBlock: props.masterCidr,
      },
      masterAuthorizedNetworksConfig: {
        // Never 0.0.0.0/0 (the config refuses it), and not "any Google Cloud IP" either. With a
        // private endpoint only, the list is enforced there too: VPN and peered clients get in
        // when listed, the rest of Google's internal addresses do not.
        cidrBlocks: authorized,
        gcpPublicCidrsAccessEnabled: false,
        privateEndpointEnforcementEnabled: this.privateEndpoint ? true : undefined,
      },
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
      workloadIdentityConfig: { workloadPool: this.workloadPool },
      enableShieldedNodes: true,
      enableLegacyAbac: false,
      databaseEncryption: { state: "ENCRYPTED", keyName: this.secretsKey.id },
      loggingConfig: { enableComponents: CONTROL_PLANE_LOGS },
      addonsConfig: { gcePersistentDiskCsiDriverConfig: { enabled: true } },
      // GKE always creates a first pool; it is removed once the cluster is up and the pools below
      // take over. Until then it runs as the node service account, not the default compute one.
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      nodeConfig: {
        serviceAccount: props.nodeServiceAccount,
        oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        workloadMetadataConfig: { mode: "GKE_METADATA" },
      },
      deletionProtection: props.keep,
      // node_config describes only the removed bootstrap pool: drift there is meaningless.
      lifecycle: { preventDestroy: props.keep, ignoreChanges: ["node_config", "initial_node_count"] },
      dependsOn: [...props.dependsOn, keyUse],
    });
  }
}
