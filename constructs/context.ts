import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";

/**
 * What a cloud gives the platform. Every foundation implements it; components see nothing else of
 * the cloud. A component that needs to ask "which cloud is this?" has found a missing method here.
 */
export interface PlatformContext {
  /** Which foundation made this context: for names in outputs and docs, never for branching in components. */
  readonly cloud: "aws" | "azure" | "gcp" | "local";
  /** How the helm and kubernetes providers reach the cluster (exec auth, never a static token). */
  readonly cluster: ClusterAccess;
  /** Every UI is served at https://<component>.<domain>. */
  readonly domain: string;
  /** Size profile from the config: components pick requests, limits, retention and replicas by it. */
  readonly profile: "lab" | "small" | "standard";
  /** The default StorageClass (encrypted) that persistent volumes use. */
  readonly storageClass: string;
  /** Where platform pods (system, workloads) and lab pods (dojo) are scheduled. */
  readonly nodePools: { readonly system: Scheduling; readonly workloads: Scheduling; readonly dojo: Scheduling };
  /** How the ingress controller's Service is exposed: the cloud load balancer's annotations. */
  readonly loadBalancer: LoadBalancerSpec;
  /** The DNS zone external-dns writes to, and how it authenticates. */
  readonly dns: DnsSpec;
  /** Where TLS certificates come from. */
  readonly certificates: CertificateSpec;
  /** What external-secrets reads: the ClusterSecretStore provider block for this cloud. */
  readonly secretStore: SecretStoreSpec;
  /** Anything the foundation must finish before the first release (node groups, CSI driver, access entries). */
  readonly ready: ITerraformDependable[];

  /**
   * A PostgreSQL database for one component: managed on clouds (RDS, Flexible Server, Cloud SQL),
   * operator-run in-cluster locally. The password never passes through Terraform on clouds.
   */
  postgres(scope: Construct, request: DatabaseRequest): DatabaseRef;
  /** An object store bucket for one component (S3, Blob container, GCS, or in-cluster). */
  bucket(scope: Construct, name: string): BucketRef;
  /**
   * Cloud identity for a Kubernetes service account, with the given grants: IRSA / Pod Identity,
   * AKS workload identity, GKE workload identity. Returns what to put on the service account and pods.
   */
  workloadIdentity(scope: Construct, sa: ServiceAccountRef, grants: Grant[]): WorkloadIdentity;
}

/** Connection to the cluster for the helm and kubernetes providers. */
export interface ClusterAccess {
  readonly name: string;
  readonly host?: string;
  /** PEM (not base64) of the cluster CA. */
  readonly clusterCaCertificate?: string;
  /** Exec credential plugin: `aws eks get-token`, `kubelogin get-token`, `gke-gcloud-auth-plugin`. */
  readonly exec?: { readonly apiVersion: string; readonly command: string; readonly args: string[]; readonly env?: Record<string, string> };
  /** An existing cluster: kubeconfig path and context (used by the local foundation). */
  readonly configPath?: string;
  readonly configContext?: string;
}

export interface Toleration {
  readonly key: string;
  readonly operator: "Equal" | "Exists";
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** Node selection for one pool, in the shape pod specs and chart values use. */
export interface Scheduling {
  readonly nodeSelector: Record<string, string>;
  readonly tolerations: Toleration[];
}

export interface LoadBalancerSpec {
  /** `LoadBalancer` on clouds (and k3d); `NodePort` where no load balancer exists (kind). */
  readonly serviceType: "LoadBalancer" | "NodePort";
  /** Fixed node ports for HTTP and HTTPS when `serviceType` is `NodePort` (map them to the host). */
  readonly nodePorts?: { readonly http: number; readonly https: number };
  /** Annotations for the ingress controller's Service. */
  readonly serviceAnnotations: Record<string, string>;
  /** `Cluster` keeps client IPs where the cloud LB supports it. */
  readonly externalTrafficPolicy: "Cluster" | "Local";
}

export interface DnsSpec {
  /** external-dns provider name (`aws`, `azure`, `google`), or undefined when names resolve without DNS (local). */
  readonly provider?: string;
  /** Extra external-dns command-line flags (zone id, resource group, project). */
  readonly extraArgs: string[];
  /** What the external-dns service account needs (it will get `workloadIdentity(..., [{ dns: "write" }])`). */
  readonly zone?: string;
  /**
   * A provider config file external-dns must read (Azure's `azure.json`), mounted read-only from a
   * Secret at `mountPath/fileName`. Identifiers only, never credentials. @default - none
   */
  readonly configFile?: { readonly mountPath: string; readonly fileName: string; readonly content: string };
}

export interface CertificateSpec {
  /** `acme`: Let's Encrypt HTTP-01 through the ingress; `selfSigned`: a local CA the operator trusts once. */
  readonly kind: "acme" | "selfSigned";
}

export interface SecretStoreSpec {
  /** The `spec.provider` block of the ClusterSecretStore. */
  readonly provider: Record<string, unknown>;
  /** Human-readable place where platform secrets live, for outputs and docs. */
  readonly location: string;
}

export interface DatabaseRequest {
  /** Logical name: the database name and the cloud resource suffix. */
  readonly name: string;
  /** Namespace of the component that uses it (for in-cluster databases and secret sync). */
  readonly namespace: string;
}

/** A database a component can connect to. */
export interface DatabaseRef {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username: string;
  /** Where the password lives in the secret store, as an external-secrets `remoteRef`. */
  readonly password: RemoteSecretRef;
  /** Require TLS from clients (`sslmode=require`). */
  readonly tls: boolean;
  /** What must exist before a client connects. */
  readonly dependsOn: ITerraformDependable[];
}

/** An entry in the secret store, as external-secrets addresses it. */
export interface RemoteSecretRef {
  readonly key: string;
  readonly property?: string;
}

/** A bucket a component can write to. */
export interface BucketRef {
  readonly name: string;
  /** Present when the bucket speaks the S3 API (S3 itself, or an in-cluster S3-compatible store). */
  readonly s3?: { readonly endpoint: string; readonly region: string; readonly pathStyle: boolean };
  readonly dependsOn: ITerraformDependable[];
}

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** Cloud permissions a workload asks for, by intent. Foundations map each to their IAM. */
export type Grant =
  | { readonly secrets: "read" }
  | { readonly dns: "write" }
  | { readonly bucket: BucketRef; readonly access: "read" | "readwrite" };

export interface WorkloadIdentity {
  readonly serviceAccountAnnotations: Record<string, string>;
  readonly podLabels: Record<string, string>;
  readonly dependsOn: ITerraformDependable[];
}
