import { DataAwsEksAddonVersion } from "@cdktf/provider-aws/lib/data-aws-eks-addon-version";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import { Fn, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type {
  BucketRef,
  CertificateSpec,
  ClusterAccess,
  DatabaseEngineRequest,
  DatabaseRef,
  DatabaseRequest,
  DnsSpec,
  Grant,
  LoadBalancerSpec,
  PlatformContext,
  Profile,
  RegistryCapability,
  Scheduling,
  SecretStoreSpec,
  ServiceAccountRef,
  WorkloadIdentity,
} from "../../context";
import { chartValues, platformRelease } from "../../helm";
import { poolScheduling, type PoolName } from "../shared";
import { clusterAutoscalerTag } from "./autoscaler";
import { EksControlPlane } from "./cluster";
import { EksData } from "./data";
import { irsaRole, type IrsaIssuer, type PolicyStatement } from "./identity";
import { EksNetwork } from "./network";
import { EksNodePools, type NodePoolSpec } from "./nodes";
import { EcrRegistry } from "./registry";

export interface EksFoundationProps {
  /** Cluster name and prefix of every resource name, e.g. `fawkes-dev`: up to 41 of a-z, 0-9, "-". */
  readonly name: string;
  readonly region: string;
  /** Platform domain; a Route53 zone for it is created unless `hostedZoneId` is given. */
  readonly domain: string;
  /** Kubernetes minor version, e.g. "1.33". */
  readonly kubernetesVersion: string;
  /** @default "10.40.0.0/16" */
  readonly vpcCidr?: string;
  /**
   * Networks allowed to reach the public API endpoint.
   * @default [] - no public endpoint: deploy from inside the VPC (VPN, bastion, CI runner)
   */
  readonly apiAllowedCidrs?: string[];
  /**
   * Private networks (VPN, peered VPCs) allowed to reach the private API endpoint on 443.
   * @default [] - only the cluster's own network reaches the private endpoint
   */
  readonly apiPrivateCidrs?: string[];
  /** IAM role ARNs made cluster admins besides the deploying identity. @default [] */
  readonly clusterAdminArns?: string[];
  readonly nodePools: Record<PoolName, NodePoolSpec>;
  /** Use an existing Route53 hosted zone instead of creating one. @default - a zone is created */
  readonly hostedZoneId?: string;
  /** Sizes and redundancy. */
  readonly profile: Profile;
  /**
   * Let `cdktf destroy` delete the cluster, databases and buckets. Meant for labs and CI.
   * @default false - deletion protection on, and Terraform `prevent_destroy` on every stateful resource
   */
  readonly allowDestroy?: boolean;
}

/**
 * How long destroy waits, after the platform's releases are gone and before the cluster and the
 * network go, for the cloud controller to delete the ingress NLB (and for its interfaces and public
 * addresses to be released: they block deleting the subnets and detaching the internet gateway).
 */
export const LOAD_BALANCER_CLEANUP = "120s";

/** The encrypted, expandable gp3 StorageClass made default for every PersistentVolumeClaim. */
const EKS_STORAGE_CLASS = "gp3-encrypted";

/**
 * The AWS foundation: VPC, EKS with private nodes, managed databases, buckets, DNS and identity,
 * as the PlatformContext components install on. One stack, one apply.
 */
export class EksFoundation extends Construct implements PlatformContext {
  readonly cloud = "aws";
  readonly cluster: ClusterAccess;
  readonly domain: string;
  readonly profile: Profile;
  readonly storageClass = EKS_STORAGE_CLASS;
  readonly nodePools: { system: Scheduling; workloads: Scheduling; dojo: Scheduling } = poolScheduling();
  readonly loadBalancer: LoadBalancerSpec = {
    serviceType: "LoadBalancer",
    serviceAnnotations: {
      // An internet-facing NLB in the public subnets (the only thing that lives there).
      "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
      "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
      "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
    },
    externalTrafficPolicy: "Local",
  };
  readonly certificates: CertificateSpec = { kind: "acme" };
  readonly dns: DnsSpec;
  readonly secretStore: SecretStoreSpec;
  readonly registry: RegistryCapability;
  readonly ready: ITerraformDependable[];

  readonly network: EksNetwork;
  readonly controlPlane: EksControlPlane;
  readonly nodes: EksNodePools;
  /** Name servers to delegate the domain to (when the zone is created here). */
  readonly nameServers?: string[];
  /** Where platform secrets live, for outputs. */
  readonly hostedZoneId: string;

  private readonly props: EksFoundationProps;
  private readonly keep: boolean;
  private readonly dataKey: KmsKey;
  private readonly data: EksData;
  private readonly partition: string;
  private readonly issuer: IrsaIssuer;
  private readonly ecr: EcrRegistry;

  constructor(scope: Construct, id: string, props: EksFoundationProps) {
    super(scope, id);
    validateEksProps(props);
    this.props = props;
    this.domain = props.domain;
    this.profile = props.profile;
    this.keep = !(props.allowDestroy ?? false);
    this.partition = new DataAwsPartition(this, "Partition").partition;

    this.network = new EksNetwork(this, "Network", {
      clusterName: props.name,
      cidr: props.vpcCidr ?? "10.40.0.0/16",
      natPerZone: props.profile === "standard",
    });
    this.controlPlane = new EksControlPlane(this, "ControlPlane", {
      name: props.name,
      kubernetesVersion: props.kubernetesVersion,
      vpcId: this.network.vpc.id,
      subnets: this.network.privateSubnets,
      publicAccessCidrs: props.apiAllowedCidrs ?? [],
      privateAccessCidrs: props.apiPrivateCidrs ?? [],
      partition: this.partition,
      adminPrincipals: props.clusterAdminArns ?? [],
      keep: this.keep,
      logRetentionDays: props.profile === "standard" ? 365 : 90,
    });
    const cluster = this.controlPlane.cluster;
    this.issuer = { oidc: this.controlPlane.oidc, partition: this.partition };

    // EKS-managed add-ons (patched by AWS), each at the newest build for the cluster's version, so
    // raising kubernetes.version moves them too. Upgrade order, as AWS documents it: control plane,
    // then the node groups (their `version` is the cluster's), then the add-ons (kube-proxy must not
    // be newer than the kubelets; CoreDNS and EBS CSI need nodes to run on at creation).
    const addon = (id: string, addonName: string, extra: { serviceAccountRoleArn?: string; dependsOn?: ITerraformDependable[] } = {}) => {
      const version = new DataAwsEksAddonVersion(this, `${id}Version`, { addonName, kubernetesVersion: cluster.version, mostRecent: true });
      return new EksAddon(this, id, {
        clusterName: cluster.name,
        addonName,
        addonVersion: version.version,
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "PRESERVE",
        serviceAccountRoleArn: extra.serviceAccountRoleArn,
        dependsOn: extra.dependsOn,
      });
    };
    this.nodes = new EksNodePools(this, "Nodes", {
      cluster,
      name: props.name,
      region: props.region,
      partition: this.partition,
      subnets: this.network.privateSubnets,
      pools: props.nodePools,
    });

    // Databases, buckets and the secrets RDS generates are encrypted with this key.
    this.dataKey = new KmsKey(this, "DataKey", {
      description: `${props.name}: databases, buckets, secrets`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    new KmsAlias(this, "DataKeyAlias", { name: `alias/${props.name}-data`, targetKeyId: this.dataKey.keyId });
    this.data = new EksData(this, "Data", {
      name: props.name,
      vpc: this.network.vpc,
      subnets: this.network.databaseSubnets,
      clientSecurityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
      key: this.dataKey,
      profile: props.profile,
      keep: this.keep,
    });

    this.cluster = {
      name: props.name,
      host: cluster.endpoint,
      clusterCaCertificate: Fn.base64decode(cluster.certificateAuthority.get(0).data),
      exec: {
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "aws",
        args: ["eks", "get-token", "--cluster-name", props.name, "--region", props.region, "--output", "json"],
      },
    };

    // DNS: the zone external-dns writes to.
    if (props.hostedZoneId) {
      this.hostedZoneId = new DataAwsRoute53Zone(this, "Zone", { zoneId: props.hostedZoneId }).zoneId;
    } else {
      const zone = new Route53Zone(this, "Zone", {
        name: props.domain,
        comment: `Fawkes platform ${props.name}`,
        // external-dns and cert-manager leave records behind; with allowDestroy they go with the zone.
        forceDestroy: !this.keep,
        lifecycle: { preventDestroy: this.keep },
      });
      this.hostedZoneId = zone.zoneId;
      this.nameServers = zone.nameServers;
    }
    this.dns = { provider: "aws", zone: this.hostedZoneId, extraArgs: [`--aws-zone-type=public`, `--zone-id-filter=${this.hostedZoneId}`] };
    this.secretStore = {
      // The controller's own IRSA role is used (no auth block): see workloadIdentity({ secrets: "read" }).
      provider: { aws: { service: "SecretsManager", region: props.region } },
      location: `AWS Secrets Manager (${props.region})`,
    };

    // Images are encrypted with the data key too; nodes pull with the node role's AmazonEC2ContainerRegistryReadOnly.
    this.ecr = new EcrRegistry(this, "Registry", {
      name: props.name,
      region: props.region,
      accountId: this.controlPlane.accountId,
      partition: this.partition,
      key: this.dataKey,
    });
    this.registry = this.ecr.capability;

    const groups = Object.values(this.nodes.groups);
    // The StorageClass encrypts volumes with the data key: the driver needs the key (AWS's policy
    // for the EBS CSI driver with a customer-managed key), which AmazonEBSCSIDriverPolicy lacks.
    const ebsRole = irsaRole(
      this,
      "EbsCsiIdentity",
      this.issuer,
      { namespace: "kube-system", name: "ebs-csi-controller-sa" },
      [
        {
          actions: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
          resources: [this.dataKey.arn],
          condition: [{ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }],
        },
        { actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], resources: [this.dataKey.arn] },
      ],
      ["service-role/AmazonEBSCSIDriverPolicy"],
    );
    const addons = [
      addon("VpcCni", "vpc-cni", { dependsOn: groups }),
      addon("KubeProxy", "kube-proxy", { dependsOn: groups }),
      addon("CoreDns", "coredns", { dependsOn: groups }),
      addon("EbsCsi", "aws-ebs-csi-driver", { serviceAccountRoleArn: ebsRole.role.arn, dependsOn: [...groups, ...ebsRole.ready] }),
    ];

    const storageClass = new StorageClassV1(this, "StorageClass", {
      metadata: { name: EKS_STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      storageProvisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true", kmsKeyId: this.dataKey.arn },
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
      reclaimPolicy: this.keep ? "Retain" : "Delete",
      dependsOn: [...addons, ...this.controlPlane.access],
    });

    const foundation = [...this.controlPlane.access, ...groups, ...addons, storageClass];
    // Every release depends on `ready`, so on destroy this waits first, while the cluster, its
    // add-ons and the network still exist: the NLB of Traefik's Service is deleted by the cloud
    // controller only after the release is gone, and its addresses would block the network's deletion.
    const cleanup = new Sleep(this, "LoadBalancerCleanup", {
      destroyDuration: LOAD_BALANCER_CLEANUP,
      dependsOn: [...foundation, cluster, this.network.internetGateway, ...this.network.natGateways, ...this.network.publicSubnets],
    });
    this.ready = [...foundation, cleanup];
    this.installAutoscaler();
  }

  database(scope: Construct, request: DatabaseEngineRequest): DatabaseRef {
    return this.data.database(scope, request);
  }

  postgres(scope: Construct, request: DatabaseRequest): DatabaseRef {
    return this.database(scope, { ...request, engine: "postgres" });
  }

  bucket(scope: Construct, name: string): BucketRef {
    return this.data.bucket(scope, name);
  }

  workloadIdentity(scope: Construct, sa: ServiceAccountRef, grants: Grant[]): WorkloadIdentity {
    const statements = grants.flatMap((g) => this.statementsFor(g));
    const { role, ready } = irsaRole(scope, `Identity-${sa.namespace}-${sa.name}`, this.issuer, sa, statements);
    return { serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": role.arn }, podLabels: {}, dependsOn: ready };
  }

  private statementsFor(grant: Grant): PolicyStatement[] {
    const arn = (service: string, resource: string) => `arn:${this.partition}:${service}:${this.props.region}:${this.controlPlane.accountId}:${resource}`;
    if ("secrets" in grant) {
      return [
        // Only secrets under the platform's prefix (database passwords included).
        { actions: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], resources: [arn("secretsmanager", `secret:${this.props.name}/*`)] },
        { actions: ["kms:Decrypt"], resources: [this.dataKey.arn] },
      ];
    }
    if ("dns" in grant) {
      return [
        {
          actions: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:ListTagsForResources"],
          resources: [`arn:${this.partition}:route53:::hostedzone/${this.hostedZoneId}`],
        },
        { actions: ["route53:ListHostedZones"], resources: ["*"] },
      ];
    }
    if ("registry" in grant) return this.ecr.pushStatements();
    const bucket = `arn:${this.partition}:s3:::${grant.bucket.name}`;
    const write = grant.access === "readwrite" ? ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"] : [];
    return [
      { actions: ["s3:ListBucket", "s3:GetBucketLocation"], resources: [bucket] },
      { actions: ["s3:GetObject", ...write], resources: [`${bucket}/*`] },
      { actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [this.dataKey.arn] },
    ];
  }

  /** cluster-autoscaler, so the pools (the dojo pool from zero) follow demand. */
  private installAutoscaler(): void {
    const sa = { namespace: "kube-system", name: "cluster-autoscaler" };
    const clusterTag = `aws:ResourceTag/k8s.io/cluster-autoscaler/${this.props.name}`;
    const { role, ready } = irsaRole(this, "AutoscalerIdentity", this.issuer, sa, [
      {
        actions: [
          "autoscaling:DescribeAutoScalingGroups",
          "autoscaling:DescribeAutoScalingInstances",
          "autoscaling:DescribeLaunchConfigurations",
          "autoscaling:DescribeScalingActivities",
          "autoscaling:DescribeTags",
          "ec2:DescribeImages",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplateVersions",
          "ec2:GetInstanceTypesFromInstanceRequirements",
          "eks:DescribeNodegroup",
        ],
        resources: ["*"],
      },
      {
        // Only groups of this cluster (EKS tags its managed groups with the cluster's autoscaler tag).
        actions: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
        resources: ["*"],
        condition: [{ test: "StringEquals", variable: clusterTag, values: ["owned"] }],
      },
    ]);
    platformRelease(this, "Autoscaler", this, {
      chart: "cluster-autoscaler",
      name: "cluster-autoscaler",
      namespace: sa.namespace,
      createNamespace: false,
      dependsOn: ready,
      values: [
        chartValues("eks-cluster-autoscaler", this.profile, {
          autoDiscovery: { clusterName: this.props.name },
          // The autoscaler's minor must be the cluster's (it simulates that scheduler).
          image: { tag: clusterAutoscalerTag(this.props.kubernetesVersion) },
          awsRegion: this.props.region,
          rbac: { serviceAccount: { create: true, name: sa.name, annotations: { "eks.amazonaws.com/role-arn": role.arn } } },
          nodeSelector: this.nodePools.system.nodeSelector,
        }),
      ],
    });
  }
}

function validateEksProps(p: EksFoundationProps): void {
  // 41 = the longest `${name}-${environment}` the config accepts; every derived AWS name fits it.
  if (!/^[a-z]([a-z0-9-]{0,39}[a-z0-9])?$/.test(p.name) || p.name.includes("--")) {
    throw new Error(`EksFoundationProps.name must be 1-41 characters of a-z, 0-9, "-" (starting with a letter, no "--", no trailing "-"), got "${p.name}"`);
  }
  clusterAutoscalerTag(p.kubernetesVersion);
  for (const cidr of p.apiAllowedCidrs ?? []) {
    if (cidr.endsWith("/0")) throw new Error(`EksFoundationProps.apiAllowedCidrs must not open the API to the internet, got "${cidr}"`);
  }
  for (const [pool, spec] of Object.entries(p.nodePools)) {
    if (!(spec.min <= spec.desired && spec.desired <= spec.max)) {
      throw new Error(`EksFoundationProps.nodePools.${pool} must have min <= desired <= max, got ${spec.min}/${spec.desired}/${spec.max}`);
    }
  }
}
