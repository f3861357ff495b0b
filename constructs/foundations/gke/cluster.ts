import { ContainerCluster } from "@cdktf/provider-google/lib/container-cluster";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";
import type { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import type { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { POD_RANGE, SERVICE_RANGE } from "./network";

/** Control-plane and node logs shipped to Cloud Logging (audit logs go to Cloud Audit Logs regardless). */
export const CONTROL_PLANE_LOGS = ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER"];
/** How often the secrets key gets a new primary version: 90 days. */
export const KEY_ROTATION_PERIOD = "7776000s";

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
  readonly secretsKey: KmsCryptoKey;
  /** `<project>.svc.id.goog`: Kubernetes service accounts appear to IAM in this pool. */
  readonly workloadPool: string;
  /** Whether the API is reachable only on its private endpoint. */
  readonly privateEndpoint: boolean;

  constructor(scope: Construct, id: string, props: GkeControlPlaneProps) {
    super(scope, id);
    this.workloadPool = `${props.project}.svc.id.goog`;
    this.privateEndpoint = props.apiAllowedCidrs.length === 0;

    // Key rings can never be deleted, so the name carries a suffix: a lab can be destroyed and re-created.
    const ring = new KmsKeyRing(this, "KeyRing", { name: `${props.name}-${props.suffix}`, location: props.region, dependsOn: props.dependsOn });
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

    this.cluster = new ContainerCluster(this, "Cluster", {
      name: props.name,
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
        // Never 0.0.0.0/0 (the config refuses it), and not "any Google Cloud IP" either.
        cidrBlocks: props.apiAllowedCidrs.map((cidrBlock, i) => ({ cidrBlock, displayName: `allowed-${i}` })),
        gcpPublicCidrsAccessEnabled: false,
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
