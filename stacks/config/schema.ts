import { z } from "zod";
import { COMPONENT_IDS } from "../component-ids";
import { platformComponents } from "../components";
import { POD_CIDR as AKS_POD_CIDR, SERVICE_CIDR as AKS_SERVICE_CIDR } from "../../constructs/foundations/aks/network";
import { calendarToday, DEFAULT_KUBERNETES_VERSION, offeredAnywhere } from "../../constructs/kubernetes-versions";

/**
 * The operator's configuration: every key is optional, and the embedded defaults below synthesize
 * every stack with no file at all. `fawkes.example.yaml` shows each key with its default.
 *
 * A config that validates is one the clouds accept: every rule a foundation enforces (names, CIDR
 * layout, pool sizes, ports, component needs) is a rule here too, so the error names the file and
 * the key instead of a construct's props.
 */

/**
 * Region names per cloud (2026), so a typo fails at synth rather than at plan. AWS: commercial,
 * GovCloud and China partitions (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html);
 * Azure: public-cloud locations (`az account list-locations`); GCP: https://cloud.google.com/compute/docs/regions-zones.
 */
export const AWS_REGIONS: readonly string[] = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "ca-west-1",
  "mx-central-1",
  "sa-east-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "af-south-1",
  "il-central-1",
  "me-south-1",
  "me-central-1",
  "ap-east-1",
  "ap-east-2",
  "ap-south-1",
  "ap-south-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "us-gov-east-1",
  "us-gov-west-1",
  "cn-north-1",
  "cn-northwest-1",
];
export const AZURE_LOCATIONS: readonly string[] = [
  "eastus",
  "eastus2",
  "centralus",
  "northcentralus",
  "southcentralus",
  "westcentralus",
  "westus",
  "westus2",
  "westus3",
  "canadacentral",
  "canadaeast",
  "mexicocentral",
  "brazilsouth",
  "brazilsoutheast",
  "chilecentral",
  "northeurope",
  "westeurope",
  "uksouth",
  "ukwest",
  "francecentral",
  "francesouth",
  "germanywestcentral",
  "germanynorth",
  "swedencentral",
  "swedensouth",
  "norwayeast",
  "norwaywest",
  "switzerlandnorth",
  "switzerlandwest",
  "italynorth",
  "polandcentral",
  "spaincentral",
  "austriaeast",
  "belgiumcentral",
  "denmarkeast",
  "uaenorth",
  "uaecentral",
  "qatarcentral",
  "israelcentral",
  "southafricanorth",
  "southafricawest",
  "centralindia",
  "southindia",
  "westindia",
  "jioindiacentral",
  "jioindiawest",
  "eastasia",
  "southeastasia",
  "japaneast",
  "japanwest",
  "koreacentral",
  "koreasouth",
  "indonesiacentral",
  "malaysiawest",
  "australiaeast",
  "australiasoutheast",
  "australiacentral",
  "australiacentral2",
  "newzealandnorth",
];
export const GCP_REGIONS: readonly string[] = [
  "us-central1",
  "us-east1",
  "us-east4",
  "us-east5",
  "us-south1",
  "us-west1",
  "us-west2",
  "us-west3",
  "us-west4",
  "northamerica-northeast1",
  "northamerica-northeast2",
  "northamerica-south1",
  "southamerica-east1",
  "southamerica-west1",
  "europe-west1",
  "europe-west2",
  "europe-west3",
  "europe-west4",
  "europe-west6",
  "europe-west8",
  "europe-west9",
  "europe-west10",
  "europe-west12",
  "europe-central2",
  "europe-north1",
  "europe-north2",
  "europe-southwest1",
  "me-central1",
  "me-central2",
  "me-west1",
  "africa-south1",
  "asia-east1",
  "asia-east2",
  "asia-northeast1",
  "asia-northeast2",
  "asia-northeast3",
  "asia-south1",
  "asia-south2",
  "asia-southeast1",
  "asia-southeast2",
  "asia-southeast3",
  "australia-southeast1",
  "australia-southeast2",
];

/** The known name nearest to `value` (edit distance at most 3, or a third of its length), if any. */
export function didYouMean(value: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = editDistance(value, name);
    if (d <= Math.max(3, Math.floor(name.length / 3)) && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/** Levenshtein distance, with a swap of two neighbours counting once ("wset" for "west"). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * Longest `<name>-<environment>` prefix. It goes into every cloud name; the foundations shorten
 * derived names that would be too long (GKE cluster, Key Vault, storage account, S3 prefixes, RDS
 * identifiers...), and each foundation accepts a prefix of this length (EksFoundationProps.name,
 * AksFoundationProps.name, GkeFoundationProps.name, ExistingClusterFoundationProps.name).
 */
export const PREFIX_MAX = 41;

/**
 * A name part: lower-case DNS label, no "--" (S3, storage and Key Vault names forbid it, and
 * `xn--` would make an IDN), and none of the prefixes or words clouds reserve: `xn--`/`sthree-`
 * (S3 buckets), `goog` and `google` (GCP service accounts, GCS buckets).
 */
const namePart = (what: string) =>
  z
    .string()
    .regex(/^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$/, `a lower-case DNS label of 1-20 characters (a-z, 0-9, -), starting with a letter and not ending with "-"`)
    .refine((v) => !v.includes("--"), `${what} without "--" (S3 buckets, storage accounts and Key Vaults reject it)`)
    .refine((v) => !/^(xn--|sthree-|goog)/.test(v), `${what} not starting with "xn--", "sthree-" or "goog" (prefixes AWS and Google reserve)`)
    .refine((v) => !v.includes("google"), `${what} without "google" (GCP rejects it in bucket and service account names)`);
const domainName = z
  .string()
  .regex(/^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a lower-case DNS domain such as platform.example.org");

/** An IPv4 CIDR as 32-bit start address and prefix length. */
export function parseCidr(c: string): { start: number; prefix: number } {
  const [ip, prefix] = c.split("/");
  return { start: ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0), prefix: Number(prefix) };
}
const size = (prefix: number) => 2 ** (32 - prefix);
/** The network address of a CIDR's block, e.g. 10.40.0.0/16 for 10.40.0.1/16. */
export function networkOf(c: string): string {
  const { start, prefix } = parseCidr(c);
  const base = Math.floor(start / size(prefix)) * size(prefix);
  return `${[24, 16, 8, 0].map((b) => Math.floor(base / 2 ** b) % 256).join(".")}/${prefix}`;
}
/** Whether two CIDRs share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [x, y] = [parseCidr(networkOf(a)), parseCidr(networkOf(b))];
  return x.start < y.start + size(y.prefix) && y.start < x.start + size(x.prefix);
}
/** RFC 1918 and the shared address space (100.64.0.0/10): the ranges a private network may use. */
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"];
const wellFormed = (c: string) =>
  /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(c) &&
  c
    .split("/")[0]
    .split(".")
    .every((o) => Number(o) <= 255) &&
  Number(c.split("/")[1]) <= 32;
const isPrivate = (c: string) => {
  const { start, prefix } = parseCidr(c);
  return PRIVATE_RANGES.some((r) => {
    const p = parseCidr(r);
    return prefix >= p.prefix && start >= p.start && start < p.start + size(p.prefix);
  });
};

const cidr = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d|[12]\d|3[0-2])$/, "an IPv4 CIDR such as 203.0.113.0/24")
  .refine(
    (c) =>
      c
        .split("/")[0]
        .split(".")
        .every((o) => Number(o) <= 255),
    "an IPv4 CIDR with octets 0-255",
  )
  .refine((c) => !c.endsWith("/0"), "a CIDR narrower than /0 (the API endpoint is never open to the whole internet)")
  // Clouds reject (or silently rewrite) a CIDR with host bits set.
  .check((ctx) => {
    if (wellFormed(ctx.value) && networkOf(ctx.value) !== ctx.value) {
      ctx.issues.push({ code: "custom", input: ctx.value, message: `a network address (no host bits): ${networkOf(ctx.value)}` });
    }
  });

/** A private network range with a prefix from `min` to `max`; `why` says where the bounds come from. */
const privateCidr = (min: number, max: number, why: string) =>
  cidr
    .refine((c) => !wellFormed(c) || isPrivate(c), "a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10)")
    .refine(
      (c) => {
        const p = Number(c.split("/")[1]);
        return !wellFormed(c) || (p >= min && p <= max);
      },
      min === max ? `a /${min} (${why})` : `a /${min} to /${max} (${why})`,
    );

/** A region from a cloud's list; a near miss gets a suggestion. */
const region = (known: readonly string[], example: string, what: string) =>
  z.string().check((ctx) => {
    if (known.includes(ctx.value)) return;
    const near = didYouMean(ctx.value, known);
    ctx.issues.push({ code: "custom", input: ctx.value, message: `${what} such as ${example}${near ? ` (did you mean ${near}?)` : ""}` });
  });

/** In `api.allowedCidrs`: the deploying machine's public address, resolved at plan time. */
export const DEPLOYER = "deployer";

// 1.30+: the Dojo's admission policies use ValidatingAdmissionPolicy v1. Whether a cloud offers
// the minor today is checked in configChecks (its clock is injectable) and per cloud at synth.
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
    cpu: z
      .string()
      .regex(/^\d+(\.\d+)?m?$/, 'a CPU quantity such as "2" or "500m"')
      .optional(),
    memory: z
      .string()
      .regex(/^\d+(Mi|Gi)$/, 'a memory quantity such as "4Gi"')
      .optional(),
    storage: z
      .string()
      .regex(/^\d+(Mi|Gi)$/, 'a storage quantity such as "10Gi"')
      .optional(),
  })
  .prefault({});

/** A DNS label (team names become group names, Argo CD projects and DORA team views). */
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a DNS label (a-z, 0-9, "-") such as "payments"');
/** Groups every realm has; a team may not take their names. */
const PLATFORM_GROUPS = ["platform-admins", "developers", "learners"];

const team = z.strictObject({
  name: dnsLabel.refine((n) => !PLATFORM_GROUPS.includes(n), `a name other than the platform groups (${PLATFORM_GROUPS.join(", ")})`),
  /** Usernames put in the team's group (Keycloak creates them, without a password, if they do not exist). */
  members: z.array(z.string().regex(/^[a-zA-Z0-9._@-]{1,255}$/, "a username (letters, digits, . _ @ -)")).default([]),
});

const httpsUrl = z.url({ protocol: /^https$/, error: "an https:// URL" });
/** Where a secret lives in the cloud secret store (an external-secrets remoteRef), never its value. */
const secretLocation = z.strictObject(
  {
    key: z.string().trim().min(1, "the secret store key (name) holding the secret"),
    property: z.string().trim().min(1).optional(),
  },
  { error: "the secret's location in the cloud secret store, { key, property? } (never the value)" },
);
/** Corporate group -> platform group or team. */
const groupMappings = z.record(z.string().min(1), z.string().min(1)).default({});

const broker = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("oidc"),
    /** The corporate issuer; Keycloak reads <issuer>/.well-known/openid-configuration. */
    issuer: httpsUrl,
    clientId: z.string().trim().min(1, "the client id registered at the corporate identity provider"),
    /** The client secret's location in the cloud secret store (the value is never in the config). */
    clientSecret: secretLocation,
    /** The claim carrying the user's corporate groups. */
    groupsClaim: z.string().trim().min(1).default("groups"),
    groupMappings,
    /** Endpoints, only for providers whose discovery document Keycloak cannot read. */
    authorizationUrl: httpsUrl.optional(),
    tokenUrl: httpsUrl.optional(),
    jwksUrl: httpsUrl.optional(),
  }),
  z.strictObject({
    type: z.literal("saml"),
    /** The corporate IdP's SAML metadata, re-read by Keycloak when it changes. */
    metadataUrl: httpsUrl,
    /** The assertion attribute carrying the user's corporate groups. */
    groupsAttribute: z.string().trim().min(1).default("groups"),
    groupMappings,
  }),
]);

export const configSchema = z.strictObject({
  /** Prefix of every cloud resource name. */
  name: namePart("a name").default("fawkes"),
  /** Environment label, added to names and tags: dev, staging, prod... */
  environment: namePart("an environment").default("dev"),
  /**
   * Size profile. `lab`: smallest sizes (CI, trials); `small`: one team; `standard`: production
   * sizes, HA databases. Protection from destroy is `allowDestroy`, whatever the profile.
   */
  profile: z.enum(["lab", "small", "standard"] as const satisfies readonly import("../../constructs/context").Profile[]).default("small"),
  /** Every UI is served at https://<component>.<domain>. */
  domain: domainName.default("fawkes.example.com"),
  letsEncrypt: z
    .strictObject({
      email: z.email("an e-mail address for Let's Encrypt expiry notices").default("platform-team@example.com"),
      /** Which ClusterIssuer certificates use. Start on staging, switch once DNS works. */
      issuer: z.enum(["staging", "production"]).default("staging"),
    })
    .prefault({}),
  kubernetes: z.strictObject({ version: k8sVersion.default(DEFAULT_KUBERNETES_VERSION) }).prefault({}),
  api: z
    .strictObject({
      /**
       * Networks allowed to reach the Kubernetes API's public endpoint. `deployer` is the public
       * address of the machine running `cdktf deploy`, looked up at plan time (a /32), so the
       * defaults deploy from a laptop. Empty: no public endpoint at all (see deployFromInsideNetwork).
       */
      allowedCidrs: z
        .array(z.union([z.literal(DEPLOYER), cidr]))
        .max(40)
        .default([DEPLOYER]),
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
  /** Teams: one group each in the realm, beside platform-admins, developers and learners. */
  teams: z
    .array(team)
    .max(200)
    .default([])
    .superRefine((teams, ctx) => {
      const seen = new Set<string>();
      teams.forEach((t, i) => {
        if (seen.has(t.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `a team name used once ("${t.name}" is listed twice)` });
        seen.add(t.name);
      });
    }),
  identity: z
    .strictObject({
      /** Keycloak is served at https://<subdomain>.<domain>; the issuer is https://<subdomain>.<domain>/realms/fawkes. */
      subdomain: dnsLabel.default("sso"),
      realm: z
        .strictObject({
          /**
           * What the realm Job may delete. `additive`: only what Fawkes created and no longer declares
           * (a client whose component was switched off); groups, clients and identity providers added by
           * hand stay. `full`: the realm document is the whole truth for them.
           */
          manage: z.enum(["additive", "full"]).default("additive"),
        })
        .prefault({}),
      /** A corporate identity provider Keycloak brokers to. @default - none: local users only */
      broker: broker.optional(),
      /**
       * Break-glass: components whose generated admin signs in beside SSO again (argocd,
       * observability, jenkins), for when the identity provider is down. Remove it afterwards.
       */
      breakGlass: z.array(z.enum(["argocd", "observability", "jenkins"])).default([]),
    })
    .prefault({}),
  git: z
    .strictObject({
      /**
       * `gitea`: the built-in Gitea (no external account needed). `github`: an existing GitHub
       * organisation through a GitHub App (set `github`). @default "gitea"
       */
      provider: z.enum(["gitea", "github"]).default("gitea"),
      github: z
        .strictObject({
          /** The organisation the platform creates repositories in. */
          organization: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/, "a GitHub organisation name (letters, digits, -)"),
          /**
           * Where the GitHub App's `appId`, `installationId`, `privateKey`, `clientId`, `clientSecret` and
           * `webhookSecret` live in the cloud secret store (never the values).
           */
          app: z.strictObject({
            key: z
              .string()
              .trim()
              .min(1, "the secret store key holding the GitHub App's appId, installationId, privateKey, clientId, clientSecret and webhookSecret"),
          }),
        })
        .optional(),
    })
    .prefault({})
    .refine((g) => g.provider !== "github" || g.github !== undefined, {
      path: ["github"],
      message: "git.github (organization, app.key) when git.provider is github",
    }),
  mattermost: z
    .strictObject({
      /**
       * Where a Mattermost Enterprise license lives in the cloud secret store (never the value): with
       * one, Mattermost signs people in through the identity provider. @default - Team Edition, no SSO
       */
      license: secretLocation.optional(),
      /** Sign-up is by invitation; these e-mail domains may also sign up (e.g. example.org). */
      signupDomains: z.array(domainName).default([]),
    })
    .prefault({}),
  dojo: z
    .strictObject({
      /** Hours a claimed lab slot lives before it is wiped and returned to the pool. */
      ttlHours: z.number().int().min(1).max(720).default(24),
      belts: z.strictObject({ white: belt, yellow: belt, green: belt, brown: belt, black: belt }).prefault({}),
    })
    .prefault({}),
  aws: z
    .strictObject({
      region: region(AWS_REGIONS, "eu-west-1", "an AWS region").default("eu-west-1"),
      // EKS carves three /19-equivalents (newBits 3) for nodes and /24-equivalents (newBits 8) for
      // public and database subnets; AWS subnets are /16-/28, so the VPC is /16 (largest AWS allows) to /20.
      vpcCidr: privateCidr(16, 20, "AWS allows /16-/28 subnets and EKS carves /24-equivalents (VPC prefix + 8) from it").default("10.40.0.0/16"),
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
      hostedZoneId: z
        .string()
        .regex(/^Z[A-Z0-9]{4,31}$/, "a Route53 hosted zone id such as Z0123456789ABC")
        .optional(),
      /** Remote state. Without `bucket` the state stays in a local file. */
      state: z
        .strictObject({
          bucket: z
            .string()
            .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name")
            .optional(),
          key: z.string().default("fawkes/aws.tfstate"),
          region: z.string().optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  azure: z
    .strictObject({
      location: region(AZURE_LOCATIONS, "westeurope", "an Azure region name").default("westeurope"),
      /** Subscription to deploy into. @default - $ARM_SUBSCRIPTION_ID (azurerm 4 needs one of the two; it does not fall back to the CLI default) */
      subscriptionId: z.uuid("a subscription id (UUID)").optional(),
      // AKS carves a sixteenth (newBits 4) for nodes and two /24-equivalents (newBits 8) for Flexible
      // Server (delegated subnets need /28 or larger) and private endpoints: /8 to /20.
      vnetCidr: privateCidr(8, 20, "the Flexible Server subnet is VNet prefix + 8 and must be /28 or larger")
        .refine(
          (c) => !wellFormed(c) || (!cidrsOverlap(c, AKS_POD_CIDR) && !cidrsOverlap(c, AKS_SERVICE_CIDR)),
          `a range apart from the AKS pod range ${AKS_POD_CIDR} and service range ${AKS_SERVICE_CIDR} (CNI overlay)`,
        )
        .default("10.41.0.0/16"),
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
      zones: z
        .array(z.enum(["1", "2", "3"]))
        .max(3)
        .refine((zs) => new Set(zs).size === zs.length, 'distinct zones (each of "1", "2", "3" at most once)')
        .default(["1", "2", "3"]),
      /** Encryption at host for every node; needs `az feature register --namespace Microsoft.Compute --name EncryptionAtHost` once. */
      encryptionAtHost: z.boolean().default(true),
      /** An existing Azure DNS zone for the domain. @default - a zone is created */
      dnsZoneResourceGroup: z.string().optional(),
      /** Remote state (azurerm backend). Without `storageAccount` the state stays in a local file. */
      state: z
        .strictObject({
          resourceGroup: z.string().optional(),
          storageAccount: z
            .string()
            .regex(/^[a-z0-9]{3,24}$/, "a storage account name (3-24 lower-case letters and digits)")
            .optional(),
          container: z.string().default("tfstate"),
          key: z.string().default("fawkes/azure.tfstate"),
        })
        .prefault({}),
    })
    .prefault({}),
  gcp: z
    .strictObject({
      /** Project to deploy into: set it for a real deploy. */
      project: z
        .string()
        .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a GCP project id")
        .default("fawkes-sandbox"),
      region: region(GCP_REGIONS, "europe-west1", "a GCP region").default("europe-west1"),
      /** Node addresses (the subnet's primary range); GKE subnets are /8 to /29. */
      subnetCidr: privateCidr(8, 29, "GKE subnet primary ranges are /8 to /29").default("10.42.0.0/20"),
      /** Pod addresses (secondary range): each node takes a /24 of it. */
      podsCidr: privateCidr(9, 24, "each node takes a /24 of the pod range; GKE allows /9 or smaller").default("10.44.0.0/14"),
      servicesCidr: privateCidr(16, 27, "GKE service ranges are /16 to /27").default("10.48.0.0/20"),
      /** /28 for the control plane's private endpoint. */
      masterCidr: privateCidr(28, 28, "GKE private control planes take exactly a /28").default("172.16.0.0/28"),
      /** Range reserved for Cloud SQL's private IPs (private services access); /24 or larger. */
      privateServicesCidr: privateCidr(8, 24, "private services access needs a /24 or larger").default("10.50.0.0/20"),
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
      kubeconfig: z.string().trim().min(1, "a kubeconfig file path").default("~/.kube/config"),
      /** kubeconfig context. */
      context: z.string().trim().min(1, 'a kubeconfig context name such as "kind-fawkes"').default("kind-fawkes"),
      /** Resolves to 127.0.0.1 with every subdomain, no DNS setup needed. */
      domain: domainName.default("localtest.me"),
      /** `NodePort` for kind (map 30080/30443 to the host), `LoadBalancer` for k3d (built-in servicelb). */
      ingressService: z.enum(["NodePort", "LoadBalancer"]).default("NodePort"),
      httpNodePort: z.number().int().min(30000).max(32767).default(30080),
      httpsNodePort: z.number().int().min(30000).max(32767).default(30443),
      /** The in-cluster image registry's node port: nodes pull `localhost:<port>/fawkes/<service>`. */
      registryNodePort: z.number().int().min(30000).max(32767).default(30500),
      /** The cluster's default StorageClass: `standard` on kind, `local-path` on k3d. */
      storageClass: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "a StorageClass name such as standard or local-path")
        .default("standard"),
      /** Component switches for the local stack only, on top of `components` (heavy ones off by default). */
      components: components,
    })
    .prefault({}),
});

/** The validated configuration, with every default filled in. */
export type FawkesConfig = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type BeltName = keyof FawkesConfig["dojo"]["belts"];

/** A rule across keys, checked after the schema: the key path it is about and what was expected. */
export interface ConfigIssue {
  readonly path: string;
  readonly expected: string;
  readonly got: unknown;
}

/**
 * The rules that span keys or depend on the date (`today` is injectable for tests): the name
 * prefix length, a Kubernetes minor some cloud offers, pool sizes AKS accepts, GKE ranges apart,
 * distinct node ports, and no component switched off that an enabled one needs.
 */
export function configChecks(c: FawkesConfig, today: Date = calendarToday()): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const prefix = `${c.name}-${c.environment}`;
  if (prefix.length > PREFIX_MAX) {
    issues.push({
      path: "name, environment",
      expected: `"<name>-<environment>" of at most ${PREFIX_MAX} characters (it prefixes every cloud resource name), ${prefix.length} characters`,
      got: prefix,
    });
  }
  const notOffered = offeredAnywhere(c.kubernetes.version, today);
  if (notOffered) issues.push({ path: "kubernetes.version", expected: notOffered, got: c.kubernetes.version });
  if (c.nodePools.system.min < 1) {
    issues.push({
      path: "nodePools.system.min",
      expected: "at least 1 (AKS needs a system node, and the front door runs on the system pool)",
      got: c.nodePools.system.min,
    });
  }
  if (c.local.httpNodePort === c.local.httpsNodePort) {
    issues.push({ path: "local.httpsNodePort", expected: `a node port other than local.httpNodePort (${c.local.httpNodePort})`, got: c.local.httpsNodePort });
  }
  if (c.local.ingressService === "NodePort" && [c.local.httpNodePort, c.local.httpsNodePort].includes(c.local.registryNodePort)) {
    issues.push({
      path: "local.registryNodePort",
      expected: "a node port other than the ingress' (local.httpNodePort, local.httpsNodePort)",
      got: c.local.registryNodePort,
    });
  }
  const ranges = (["subnetCidr", "podsCidr", "servicesCidr", "masterCidr", "privateServicesCidr"] as const).map((k) => [k, c.gcp[k]] as const);
  ranges.forEach(([a, ra], i) =>
    ranges.slice(i + 1).forEach(([b, rb]) => {
      if (cidrsOverlap(ra, rb)) issues.push({ path: `gcp.${b}`, expected: `a range apart from gcp.${a} (${ra})`, got: rb });
    }),
  );
  const groups = [...PLATFORM_GROUPS, ...c.teams.map((t) => t.name)];
  for (const [corporate, platform] of Object.entries(c.identity.broker?.groupMappings ?? {})) {
    if (!groups.includes(platform)) {
      issues.push({ path: `identity.broker.groupMappings.${corporate}`, expected: `a platform group or team (${groups.join(", ")})`, got: platform });
    }
  }
  // The identity component refuses such mappings too: report them by key before building it.
  if (issues.some((i) => i.path.startsWith("identity."))) return issues;
  issues.push(...needsIssues(c, c.components, c.components, "components"));
  issues.push(...needsIssues(c, { ...c.components, ...c.local.components }, c.local.components, "local.components"));
  return issues;
}

/** A component switched off that an enabled one needs (the same rule FawkesPlatform enforces, named by key). */
function needsIssues(config: FawkesConfig, switches: Record<string, boolean>, explicit: Record<string, boolean>, key: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const comp of platformComponents(config)) {
    if (switches[comp.id] === false) continue;
    // On the laptop only what local.components turns on explicitly is checked: the laptop's own
    // defaults switch dependents off together.
    if (key === "local.components" && explicit[comp.id] !== true) continue;
    for (const need of comp.needs) {
      if (switches[need] === false) {
        issues.push({
          path: `${key}.${need}`,
          expected: `true (or left out): ${comp.id} needs ${need}; to leave ${need} out, set ${key}.${comp.id}: false too`,
          got: false,
        });
      }
    }
  }
  return issues;
}
