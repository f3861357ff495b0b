import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { KeyVaultSecret } from "@cdktf/provider-azurerm/lib/key-vault-secret";
import type { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { ManagementLock } from "@cdktf/provider-azurerm/lib/management-lock";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { MysqlFlexibleDatabase } from "@cdktf/provider-azurerm/lib/mysql-flexible-database";
import { MysqlFlexibleServer } from "@cdktf/provider-azurerm/lib/mysql-flexible-server";
import { MysqlFlexibleServerConfiguration } from "@cdktf/provider-azurerm/lib/mysql-flexible-server-configuration";
import { PostgresqlFlexibleServer } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server";
import { PostgresqlFlexibleServerConfiguration } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-configuration";
import { PostgresqlFlexibleServerDatabase } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-database";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { Password } from "@cdktf/provider-random/lib/password";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import { Fn, Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { BucketRef, DatabaseEngine, DatabaseEngineRequest, DatabaseRef, Profile } from "../../context";
import { DATABASE_PORT, DatabaseNames, requestScope } from "../shared";
import type { AksNetwork } from "./network";

export interface AksDataProps {
  /** Prefix of resource names, e.g. `fawkes-dev`. */
  readonly name: string;
  /** Random suffix for the globally unique names (vault, storage account, servers). */
  readonly suffix: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly tenantId: string;
  readonly deployerObjectId: string;
  readonly network: AksNetwork;
  readonly logs: LogAnalyticsWorkspace;
  /**
   * Networks allowed to reach the Key Vault's public endpoint (the deployer writes database
   * passwords there); may hold plan-time tokens such as the deployer's `<address>/32`. Empty: no
   * public endpoint; Terraform must run inside the VNet. Private networks (VPN, peering) need no
   * rule: they reach the private endpoint, which IP rules do not apply to.
   */
  readonly allowedCidrs: string[];
  /** Zones for zone-redundant databases and storage; empty in a region without zones. */
  readonly zones: string[];
  readonly profile: Profile;
  readonly keep: boolean;
  readonly tags: Record<string, string>;
}

/** Flexible Server SKU per profile: burstable for lab/small, general purpose (HA-capable) for standard. */
const POSTGRES_SKU = { lab: "B_Standard_B1ms", small: "B_Standard_B2s", standard: "GP_Standard_D2ds_v5" } as const;
export const POSTGRES_MAJOR = "17";
/** MySQL Flexible Server SKU per profile: the same sizes (HA needs general purpose, as for PostgreSQL). */
const MYSQL_SKU = { lab: "B_Standard_B1ms", small: "B_Standard_B2s", standard: "GP_Standard_D2ds_v4" } as const;
/** MySQL 8.4, the long-term support line. */
export const MYSQL_VERSION = "8.4";
/** Login names Flexible Server refuses. */
const RESERVED_LOGINS = ["azure_superuser", "azure_pg_admin", "admin", "administrator", "root", "guest", "public"];

/**
 * How long Terraform waits after the deployer's role assignments before using them. Azure documents
 * up to 10 minutes for Key Vault RBAC ("role assignment latency") and for Azure RBAC in general,
 * and up to 5 for AKS's Azure RBAC webhook; a write too early gets 403 and fails the apply (neither
 * azurerm's Key Vault resources nor the helm/kubernetes providers retry a 403). A probe that retries
 * until access works would need a local-exec or an external binary, which this stack does not use,
 * so the wait is the documented maximum. It costs little: it starts as soon as the assignment exists
 * and runs alongside cluster, node pool and database creation (see AksControlPlane.access).
 */
export const RBAC_PROPAGATION = "600s";

/**
 * Key Vault IP rules from CIDRs: Key Vault refuses /31 and /32 prefixes and wants bare addresses
 * instead (the AKS API server's authorized ranges take /32). Plan-time values such as the deployer's
 * `<address>/32` are rewritten by Terraform with `replace()`.
 */
function vaultIpRules(cidrs: string[]): string[] {
  return cidrs.flatMap((cidr) => {
    if (Token.isUnresolved(cidr)) return [Fn.replace(cidr, "/32", "")];
    const [address, prefix] = cidr.split("/");
    if (prefix === "32") return [address];
    if (prefix === "31") {
      const octets = address.split(".").map(Number);
      const first = octets[3] & ~1;
      return [first, first + 1].map((last) => [...octets.slice(0, 3), last].join("."));
    }
    return [cidr];
  });
}

/**
 * The secret store and managed data services for components: a Key Vault (RBAC, purge protection,
 * private endpoint), one PostgreSQL or MySQL Flexible Server per `database()` in its engine's
 * delegated subnet, and one Blob container per `bucket()` in a storage account with no public
 * network access; each under a child scope named after the request.
 */
export class AksData extends Construct {
  readonly vault: KeyVault;
  /** What the deployer's Key Vault writes (database passwords) wait for. */
  readonly vaultAccess: ITerraformDependable[];
  private storage?: StorageAccount;
  private readonly containers = new Map<string, StorageContainer>();
  private readonly names = new DatabaseNames();

  constructor(
    scope: Construct,
    id: string,
    private readonly props: AksDataProps,
  ) {
    super(scope, id);
    const { resourceGroupName, location, tags, keep } = props;
    const isPublic = props.allowedCidrs.length > 0;

    this.vault = new KeyVault(this, "Vault", {
      name: `${trimHyphens(props.name.slice(0, 18))}-${props.suffix}`,
      resourceGroupName,
      location,
      tenantId: props.tenantId,
      skuName: "standard",
      // Access by Azure RBAC roles (Key Vault Secrets User/Officer), never by access policies.
      rbacAuthorizationEnabled: true,
      // Deleted secrets and the vault itself stay recoverable, and cannot be purged early. Always on,
      // whatever allowDestroy says: purge protection cannot be turned off once set, and retention is
      // fixed at creation. Destroy still works: the provider soft-deletes without purging
      // (providers/azure.ts), and the next deploy's vault gets a new random suffix.
      purgeProtectionEnabled: true,
      softDeleteRetentionDays: 90,
      publicNetworkAccessEnabled: isPublic,
      networkAcls: { defaultAction: "Deny", bypass: "None", ipRules: isPublic ? vaultIpRules(props.allowedCidrs) : undefined },
      tags,
      lifecycle: { preventDestroy: keep },
    });
    const endpoint = props.network.privateEndpoint(this, "VaultEndpoint", {
      resourceId: this.vault.id,
      subresource: "vault",
      zoneName: "privatelink.vaultcore.azure.net",
      endpointName: `${props.name}-vault`,
    });
    new MonitorDiagnosticSetting(this, "VaultDiagnostics", {
      name: "fawkes-audit",
      targetResourceId: this.vault.id,
      logAnalyticsWorkspaceId: props.logs.id,
      enabledLog: [{ category: "AuditEvent" }],
    });
    const officer = new RoleAssignment(this, "DeployerSecretsOfficer", {
      scope: this.vault.id,
      roleDefinitionName: "Key Vault Secrets Officer",
      principalId: props.deployerObjectId,
    });
    this.vaultAccess = [
      endpoint,
      // Waits again whenever the assignment is replaced.
      new Sleep(this, "VaultAccessPropagation", { createDuration: RBAC_PROPAGATION, triggers: { assignment: officer.id }, dependsOn: [officer] }),
    ];
    if (keep) lock(this, "VaultLock", this.vault.id, "the Key Vault");
  }

  database(scope: Construct, request: DatabaseEngineRequest): DatabaseRef {
    if (!/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/.test(request.name)) {
      throw new Error(`AksFoundation.database: DatabaseRequest.name must be 3-32 characters of a-z, 0-9, "-", got "${request.name}"`);
    }
    const ident = request.name.replace(/-/g, "_");
    if (RESERVED_LOGINS.includes(ident) || ident.startsWith("pg_")) {
      throw new Error(`AksFoundation.database: DatabaseRequest.name "${request.name}" is a login name Azure reserves; pick another`);
    }
    const root = this.names.claim(scope, request);
    return request.engine === "mysql" ? this.mysql(root, request.name, ident) : this.postgres(root, request.name, ident);
  }

  private postgres(scope: Construct, requestName: string, ident: string): DatabaseRef {
    const { name, suffix, resourceGroupName, location, keep, profile } = this.props;
    const request = { name: requestName };
    const dnsZone = this.props.network.privateDnsZone("PostgresZone", `${name}.private.postgres.database.azure.com`);
    const password = new Password(scope, "Password", { length: 32, special: false, minUpper: 2, minLower: 2, minNumeric: 2 });
    const server = new PostgresqlFlexibleServer(scope, "Server", {
      name: `${trimHyphens(`${name}-${request.name}`.slice(0, 56))}-${suffix}`,
      resourceGroupName,
      location,
      version: POSTGRES_MAJOR,
      skuName: POSTGRES_SKU[profile],
      storageMb: 32768,
      autoGrowEnabled: true,
      // Private only: an address in the delegated subnet, a name in the VNet's private zone.
      delegatedSubnetId: this.props.network.databases.id,
      privateDnsZoneId: dnsZone.zone.id,
      publicNetworkAccessEnabled: false,
      administratorLogin: ident,
      administratorPassword: password.result,
      authentication: { passwordAuthEnabled: true, activeDirectoryAuthEnabled: false },
      ...this.serverResilience(dnsZone.link),
    });
    // One at a time: Flexible Server rejects concurrent configuration changes.
    const tls = new PostgresqlFlexibleServerConfiguration(scope, "RequireTls", { serverId: server.id, name: "require_secure_transport", value: "on" });
    const tlsVersion = new PostgresqlFlexibleServerConfiguration(scope, "TlsVersion", {
      serverId: server.id,
      name: "ssl_min_protocol_version",
      value: "TLSv1.2",
      dependsOn: [tls],
    });
    const database = new PostgresqlFlexibleServerDatabase(scope, "Schema", {
      serverId: server.id,
      name: ident,
      charset: "UTF8",
      collation: "en_US.utf8",
      lifecycle: { preventDestroy: keep },
      dependsOn: [tlsVersion],
    });
    return this.serverRef(scope, "postgres", request.name, ident, password, server, [tls, tlsVersion, database]);
  }

  /**
   * What every Flexible Server shares, whatever the engine: backups, zones and HA by profile, tags,
   * protection, and waiting for its private DNS zone's link.
   */
  private serverResilience(zoneLink: ITerraformDependable) {
    const { tags, keep, profile, zones } = this.props;
    const standard = profile === "standard";
    return {
      backupRetentionDays: standard ? 14 : 7,
      geoRedundantBackupEnabled: standard,
      zone: zones.length > 0 ? zones[0] : undefined,
      highAvailability: standard ? (zones.length > 1 ? { mode: "ZoneRedundant", standbyAvailabilityZone: zones[1] } : { mode: "SameZone" }) : undefined,
      tags,
      lifecycle: {
        preventDestroy: keep,
        // A failover swaps the primary and standby zones.
        ignoreChanges: ["zone", "high_availability[0].standby_availability_zone"],
      },
      dependsOn: [zoneLink],
    };
  }

  /** MySQL Flexible Server: the PostgreSQL server's properties, in its own delegated subnet and private zone. */
  private mysql(scope: Construct, requestName: string, ident: string): DatabaseRef {
    const { name, suffix, resourceGroupName, location, keep, profile } = this.props;
    const dnsZone = this.props.network.privateDnsZone("MysqlZone", `${name}.private.mysql.database.azure.com`);
    const password = new Password(scope, "Password", { length: 32, special: false, minUpper: 2, minLower: 2, minNumeric: 2 });
    const server = new MysqlFlexibleServer(scope, "Server", {
      name: `${trimHyphens(`${name}-${requestName}`.slice(0, 56))}-${suffix}`,
      resourceGroupName,
      location,
      version: MYSQL_VERSION,
      skuName: MYSQL_SKU[profile],
      storage: { sizeGb: 32, autoGrowEnabled: true },
      // Private only: an address in the delegated subnet, a name in the VNet's private zone.
      delegatedSubnetId: this.props.network.mysqlDatabases().id,
      privateDnsZoneId: dnsZone.zone.id,
      publicNetworkAccess: "Disabled",
      administratorLogin: ident,
      administratorPassword: password.result,
      ...this.serverResilience(dnsZone.link),
    });
    // One at a time: Flexible Server rejects concurrent configuration changes.
    const tls = new MysqlFlexibleServerConfiguration(scope, "RequireTls", {
      resourceGroupName,
      serverName: server.name,
      name: "require_secure_transport",
      value: "ON",
    });
    const tlsVersion = new MysqlFlexibleServerConfiguration(scope, "TlsVersion", {
      resourceGroupName,
      serverName: server.name,
      name: "tls_version",
      value: "TLSv1.2,TLSv1.3",
      dependsOn: [tls],
    });
    const database = new MysqlFlexibleDatabase(scope, "Schema", {
      resourceGroupName,
      serverName: server.name,
      name: ident,
      charset: "utf8mb4",
      collation: "utf8mb4_0900_ai_ci",
      lifecycle: { preventDestroy: keep },
      dependsOn: [tlsVersion],
    });
    return this.serverRef(scope, "mysql", requestName, ident, password, server, [tls, tlsVersion, database]);
  }

  /**
   * What every engine's server ends with: the password in Key Vault (where external-secrets reads it;
   * components never see Terraform's copy), the delete lock, and the reference components get.
   */
  private serverRef(
    scope: Construct,
    engine: DatabaseEngine,
    requestName: string,
    ident: string,
    password: Password,
    server: { readonly id: string; readonly fqdn: string } & ITerraformDependable,
    configured: ITerraformDependable[],
  ): DatabaseRef {
    const secret = new KeyVaultSecret(scope, "PasswordSecret", {
      keyVaultId: this.vault.id,
      name: `${engine}-${requestName}`,
      value: password.result,
      contentType: "password",
      tags: this.props.tags,
      dependsOn: this.vaultAccess,
    });
    if (this.props.keep) lock(scope, "Lock", server.id, "the database server");
    return {
      engine,
      host: server.fqdn,
      port: DATABASE_PORT[engine],
      database: ident,
      username: ident,
      password: { key: secret.name },
      tls: true,
      dependsOn: [server, ...configured, secret],
    };
  }

  bucket(parent: Construct, name: string): BucketRef {
    if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(name)) {
      throw new Error(`AksFoundation.bucket: name must be 3-63 characters of a-z, 0-9 and single "-", got "${name}"`);
    }
    if (this.containers.has(name)) throw new Error(`AksFoundation.bucket: a bucket named "${name}" exists already`);
    const account = this.storageAccount();
    const container = new StorageContainer(requestScope(parent, `Bucket-${name}`, `Bucket "${name}"`), "Container", {
      name,
      // By id: the container is made through Azure Resource Manager, not the (private) blob endpoint.
      storageAccountId: account.id,
      containerAccessType: "private",
      lifecycle: { preventDestroy: this.props.keep },
    });
    this.containers.set(name, container);
    return { name, azureBlob: { accountName: account.name }, dependsOn: [container] };
  }

  /** The container a BucketRef made by `bucket()` names, for role assignments. */
  container(ref: BucketRef): StorageContainer {
    const container = this.containers.get(ref.name);
    if (!container) throw new Error(`AksFoundation.workloadIdentity: bucket "${ref.name}" was not made by this foundation's bucket()`);
    return container;
  }

  /**
   * One storage account for every bucket: HTTPS and TLS 1.2 only, no shared keys (Entra ID only), no
   * public blobs, no public network access (pods use a private endpoint).
   */
  private storageAccount(): StorageAccount {
    if (this.storage) return this.storage;
    const { name, suffix, resourceGroupName, location, tags, keep, profile, zones } = this.props;
    const retentionDays = profile === "standard" ? 30 : 7;
    const account = new StorageAccount(this, "Storage", {
      name: `${name.replace(/[^a-z0-9]/g, "").slice(0, 19)}${suffix}`,
      resourceGroupName,
      location,
      accountKind: "StorageV2",
      accountTier: "Standard",
      accountReplicationType: profile === "standard" && zones.length > 1 ? "ZRS" : "LRS",
      httpsTrafficOnlyEnabled: true,
      minTlsVersion: "TLS1_2",
      allowNestedItemsToBePublic: false,
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      localUserEnabled: false,
      sftpEnabled: false,
      crossTenantReplicationEnabled: false,
      infrastructureEncryptionEnabled: true,
      publicNetworkAccessEnabled: false,
      networkRules: { defaultAction: "Deny", bypass: ["None"] },
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days: retentionDays },
        containerDeleteRetentionPolicy: { days: retentionDays },
      },
      tags,
      lifecycle: { preventDestroy: keep },
    });
    this.props.network.privateEndpoint(this, "BlobEndpoint", {
      resourceId: account.id,
      subresource: "blob",
      zoneName: "privatelink.blob.core.windows.net",
      endpointName: `${name}-blob`,
    });
    if (keep) lock(this, "StorageLock", account.id, "the storage account");
    this.storage = account;
    return account;
  }
}

/** A CanNotDelete lock: Azure's own guard, besides Terraform's prevent_destroy (which a state edit bypasses). */
function lock(scope: Construct, id: string, target: string, what: string): ManagementLock {
  return new ManagementLock(scope, id, {
    name: "fawkes-keep",
    scope: target,
    lockLevel: "CanNotDelete",
    notes: `Fawkes: remove this lock to delete ${what} (allowDestroy: true removes it)`,
  });
}

function trimHyphens(s: string): string {
  return s.replace(/-+/g, "-").replace(/-+$/, "");
}
