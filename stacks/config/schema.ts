import { z } from "zod";
import { COMPONENT_IDS } from "../../constructs/components";

/**
 * The operator's configuration: every key is optional, and the embedded defaults below synthesize
 * every stack with no file at all. `fawkes.example.yaml` shows each key with its default.
 */

const dnsLabel = z
  .string()
  .regex(/^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$/, "a lower-case DNS label of 1-20 characters (a-z, 0-9, -), starting with a letter");
const domainName = z
  .string()
  .regex(/^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a lower-case DNS domain such as platform.example.org");
const cidr = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d|[12]\d|3[0-2])$/, "an IPv4 CIDR such as 203.0.113.0/24")
  .refine((c) => c.split("/")[0].split(".").every((o) => Number(o) <= 255), "an IPv4 CIDR with octets 0-255")
  .refine((c) => !c.endsWith("/0"), "a CIDR narrower than /0 (the API endpoint is never open to the whole internet)");
/** In `api.allowedCidrs`: the deploying machine's public address, resolved at plan time. */
export const DEPLOYER = "deployer";

// 1.30+: the Dojo's admission policies use ValidatingAdmissionPolicy v1.
const k8sVersion = z.string().regex(/^1\.(3\d)$/, 'a Kubernetes minor version from "1.30" to "1.39", as a string');

/** Size of one node pool. Instance types are per cloud (see the cloud sections). */
const pool = (d: { min: number; max: number; desired: number }) =>
  z
    .strictObject({
      min: z.number().int().min(0).max(100).default(d.min),
      max: z.number().int().min(1).max(100).default(d.max),
      desired: z.number().int().min(0).max(100).default(d.desired),
    })
    .prefault({})
    .refine((p) => p.min <= p.desired && p.desired <= p.max, "min <= desired <= max");

/** Component switches: `components.<id>: false` leaves a component out (its dependents must be off too). */
const components = z
  .record(z.string(), z.boolean())
  .default({})
  .superRefine((switches, ctx) => {
    const known = COMPONENT_IDS as readonly string[];
    for (const key of Object.keys(switches)) {
      if (!known.includes(key)) ctx.addIssue({ code: "custom", path: [key], message: `unknown component; expected one of ${known.join(", ")}` });
    }
  });

const belt = z
  .strictObject({
    /** Warm lab slots kept for this belt. */
    slots: z.number().int().min(0).max(500).default(2),
    cpu: z.string().regex(/^\d+(\.\d+)?m?$/, 'a CPU quantity such as "2" or "500m"').optional(),
    memory: z.string().regex(/^\d+(Mi|Gi)$/, 'a memory quantity such as "4Gi"').optional(),
    storage: z.string().regex(/^\d+(Mi|Gi)$/, 'a storage quantity such as "10Gi"').optional(),
  })
  .prefault({});

export const configSchema = z.strictObject({
  /** Prefix of every cloud resource name. */
  name: dnsLabel.default("fawkes"),
  /** Environment label, added to names and tags: dev, staging, prod... */
  environment: dnsLabel.default("dev"),
  /**
   * Size profile. `lab`: smallest sizes (CI, trials); `small`: one team; `standard`: production
   * sizes, HA databases. Protection from destroy is `allowDestroy`, whatever the profile.
   */
  profile: z.enum(["lab", "small", "standard"]).default("small"),
  /** Every UI is served at https://<component>.<domain>. */
  domain: domainName.default("fawkes.example.com"),
  letsEncrypt: z
    .strictObject({
      email: z.email("an e-mail address for Let's Encrypt expiry notices").default("platform-team@example.com"),
      /** Which ClusterIssuer certificates use. Start on staging, switch once DNS works. */
      issuer: z.enum(["staging", "production"]).default("staging"),
    })
    .prefault({}),
  kubernetes: z.strictObject({ version: k8sVersion.default("1.33") }).prefault({}),
  api: z
    .strictObject({
      /**
       * Networks allowed to reach the Kubernetes API's public endpoint. `deployer` is the public
       * address of the machine running `cdktf deploy`, looked up at plan time (a /32), so the
       * defaults deploy from a laptop. Empty: no public endpoint at all (see deployFromInsideNetwork).
       */
      allowedCidrs: z.array(z.union([z.literal(DEPLOYER), cidr])).max(40).default([DEPLOYER]),
      /**
       * Private networks (VPN, peered VPCs, a bastion's subnet) that may reach the private endpoint.
       * On GKE they become master authorized networks; elsewhere the private endpoint is open to the
       * cluster's own network, and these are added where the cloud lets us (EKS security group).
       */
      privateCidrs: z.array(cidr).max(40).default([]),
      /**
       * With `allowedCidrs: []` the API is private, and the helm/kubernetes providers can reach it
       * only from inside the network. Say `true` to confirm `cdktf deploy` runs there (VPN, bastion,
       * CI runner); otherwise synth refuses, before anything is created.
       */
      deployFromInsideNetwork: z.boolean().default(false),
    })
    .prefault({})
    .refine((a) => a.allowedCidrs.length > 0 || a.deployFromInsideNetwork, {
      path: ["allowedCidrs"],
      message:
        "at least one network (e.g. [deployer] or 203.0.113.7/32): with none the API is private and `cdktf deploy` from outside the network fails 20 minutes in; if you deploy from inside the network, set api.deployFromInsideNetwork: true",
    }),
  /**
   * Let `cdktf destroy` delete what holds data: the cluster, databases, buckets, DNS zone, key vault.
   * Flips only protection flags (deletion protection, prevent_destroy, locks, bucket force-destroy,
   * volume reclaim policy); nothing is resized. Set it, `cdktf deploy`, then `cdktf destroy`.
   */
  allowDestroy: z.boolean().default(false),
  nodePools: z
    .strictObject({
      system: pool({ min: 2, max: 3, desired: 2 }),
      workloads: pool({ min: 2, max: 6, desired: 3 }),
      dojo: pool({ min: 0, max: 5, desired: 0 }),
      /** Let the dojo pool use spot/preemptible capacity. */
      dojoSpot: z.boolean().default(true),
    })
    .prefault({}),
  components,
  dojo: z
    .strictObject({
      /** Hours a claimed lab slot lives before it is wiped and returned to the pool. */
      ttlHours: z.number().int().min(1).max(720).default(24),
      belts: z
        .strictObject({ white: belt, yellow: belt, green: belt, brown: belt, black: belt })
        .prefault({}),
    })
    .prefault({}),
  aws: z
    .strictObject({
      region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "an AWS region such as eu-west-1").default("eu-west-1"),
      vpcCidr: cidr.default("10.40.0.0/16"),
      instanceTypes: z
        .strictObject({
          system: z.array(z.string()).min(1).default(["m6i.large"]),
          workloads: z.array(z.string()).min(1).default(["m6i.xlarge"]),
          dojo: z.array(z.string()).min(1).default(["m6i.large", "m5.large", "m6a.large"]),
        })
        .prefault({}),
      /** IAM role ARNs made cluster admins (access entries), besides the identity that deploys. */
      clusterAdminArns: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, "an IAM role ARN")).default([]),
      /** Route53 zone for the domain: created by the stack, or an existing zone's id. */
      hostedZoneId: z.string().regex(/^Z[A-Z0-9]{4,31}$/, "a Route53 hosted zone id such as Z0123456789ABC").optional(),
      /** Remote state. Without `bucket` the state stays in a local file. */
      state: z
        .strictObject({
          bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name").optional(),
          key: z.string().default("fawkes/aws.tfstate"),
          region: z.string().optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  azure: z
    .strictObject({
      location: z.string().regex(/^[a-z]+[a-z0-9]*$/, "an Azure region name such as westeurope").default("westeurope"),
      /** Subscription to deploy into. @default - $ARM_SUBSCRIPTION_ID (azurerm 4 needs one of the two; it does not fall back to the CLI default) */
      subscriptionId: z.uuid("a subscription id (UUID)").optional(),
      vnetCidr: cidr.default("10.41.0.0/16"),
      vmSizes: z
        .strictObject({
          system: z.string().default("Standard_D4s_v5"),
          workloads: z.string().default("Standard_D4s_v5"),
          dojo: z.string().default("Standard_D4s_v5"),
        })
        .prefault({}),
      /** Entra ID (Azure AD) groups whose members are cluster admins. */
      adminGroupObjectIds: z.array(z.uuid("an Entra ID group object id (UUID)")).default([]),
      /** Availability zones for nodes and the standard profile's zone-redundant databases; [] in a region without zones. */
      zones: z.array(z.enum(["1", "2", "3"])).max(3).default(["1", "2", "3"]),
      /** Encryption at host for every node; needs `az feature register --namespace Microsoft.Compute --name EncryptionAtHost` once. */
      encryptionAtHost: z.boolean().default(true),
      /** An existing Azure DNS zone for the domain. @default - a zone is created */
      dnsZoneResourceGroup: z.string().optional(),
      /** Remote state (azurerm backend). Without `storageAccount` the state stays in a local file. */
      state: z
        .strictObject({
          resourceGroup: z.string().optional(),
          storageAccount: z.string().regex(/^[a-z0-9]{3,24}$/, "a storage account name (3-24 lower-case letters and digits)").optional(),
          container: z.string().default("tfstate"),
          key: z.string().default("fawkes/azure.tfstate"),
        })
        .prefault({}),
    })
    .prefault({}),
  gcp: z
    .strictObject({
      /** Project to deploy into: set it for a real deploy. */
      project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a GCP project id").default("fawkes-sandbox"),
      region: z.string().regex(/^[a-z]+-[a-z]+\d$/, "a GCP region such as europe-west1").default("europe-west1"),
      subnetCidr: cidr.default("10.42.0.0/20"),
      podsCidr: cidr.default("10.44.0.0/14"),
      servicesCidr: cidr.default("10.48.0.0/20"),
      /** /28 for the control plane's private endpoint. */
      masterCidr: cidr.default("172.16.0.0/28"),
      /** Range reserved for Cloud SQL's private IPs (private services access); /24 or larger. */
      privateServicesCidr: cidr.default("10.50.0.0/20"),
      machineTypes: z
        .strictObject({
          system: z.string().default("e2-standard-4"),
          workloads: z.string().default("e2-standard-4"),
          dojo: z.string().default("e2-standard-4"),
        })
        .prefault({}),
      releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE"]).default("REGULAR"),
      /** Remote state (gcs backend). Without `bucket` the state stays in a local file. */
      state: z
        .strictObject({
          bucket: z.string().optional(),
          prefix: z.string().default("fawkes/gcp"),
        })
        .prefault({}),
    })
    .prefault({}),
  local: z
    .strictObject({
      /** kubeconfig of the existing cluster (kind, k3d, any). */
      kubeconfig: z.string().default("~/.kube/config"),
      /** kubeconfig context. */
      context: z.string().default("kind-fawkes"),
      /** Resolves to 127.0.0.1 with every subdomain, no DNS setup needed. */
      domain: domainName.default("localtest.me"),
      /** `NodePort` for kind (map 30080/30443 to the host), `LoadBalancer` for k3d (built-in servicelb). */
      ingressService: z.enum(["NodePort", "LoadBalancer"]).default("NodePort"),
      httpNodePort: z.number().int().min(30000).max(32767).default(30080),
      httpsNodePort: z.number().int().min(30000).max(32767).default(30443),
      /** The cluster's default StorageClass: `standard` on kind, `local-path` on k3d. */
      storageClass: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "a StorageClass name such as standard or local-path").default("standard"),
      /** Component switches for the local stack only, on top of `components` (heavy ones off by default). */
      components: components,
    })
    .prefault({}),
});

/** The validated configuration, with every default filled in. */
export type FawkesConfig = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type Profile = FawkesConfig["profile"];
export type BeltName = keyof FawkesConfig["dojo"]["belts"];
