import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { ingressFor, manifestsRelease, platformRelease, renderYaml, type Values } from "../../helm";
import { issuerReach } from "../../in-cluster-issuer";
import { grafanaDashboard, monitoringCrds } from "../../monitoring";
import { platformNamespace } from "../../namespace";
import type { Component, ComponentOutput, Installed } from "../../platform";
import { databaseSecret, generatedSecret } from "../../secrets";
import { vulnerabilitiesDashboard } from "./dashboard";
import { sumRequests } from "../../sizes";
import {
  SCANNING_NAMESPACE,
  SONARQUBE_ADMIN_SECRET,
  SONARQUBE_DB_SECRET,
  SONARQUBE_JDBC_PASSWORD_KEY,
  sonarqubeJdbcTemplate,
  SONARQUBE_PASSCODE_KEY,
  SONARQUBE_PASSCODE_SECRET,
  SONARQUBE_RELEASE,
  SONARQUBE_URL,
  sonarqubeValues,
} from "./sonarqube";
import { sonarqubeTokenFor } from "./analysis-token";
import { samlCertificateJob, samlProperties } from "./saml";
import { TRIVY_RELEASE, trivyValues } from "./trivy";

export { SONARQUBE_ADMIN_SECRET, SONARQUBE_URL } from "./sonarqube";

export interface ScanningProps {
  /**
   * DNS label SonarQube is served under: `sonar` gives https://sonar.<domain>.
   * @default "sonarqube"
   */
  readonly subdomain?: string;
  /**
   * How long Helm may wait for SonarQube to become ready; its first start creates the database schema.
   * @default 15
   */
  readonly installTimeoutMinutes?: number;
}

/**
 * Code and image scanning: SonarQube Community Build (code quality and security, on the platform's
 * managed PostgreSQL) and the Trivy operator (vulnerabilities, exposed secrets and configuration
 * audits of every workload in the cluster, as reports and Prometheus metrics).
 */
export class ScanningComponent implements Component {
  readonly id = SCANNING_NAMESPACE;
  readonly needs = ["ingress", "tls", "secrets"];
  readonly uses = ["observability", "identity"];
  readonly info: Component["info"];

  private readonly subdomain: string;
  private readonly timeout: number;

  constructor(props: ScanningProps = {}) {
    this.subdomain = props.subdomain ?? "sonarqube";
    this.timeout = props.installTimeoutMinutes ?? 15;
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(this.subdomain)) {
      throw new Error(`ScanningProps.subdomain must be a DNS label (a-z, 0-9, "-"), got "${this.subdomain}"`);
    }
    if (!(Number.isInteger(this.timeout) && this.timeout >= 5 && this.timeout <= 60)) {
      throw new Error(`ScanningProps.installTimeoutMinutes must be a whole number from 5 to 60, got ${props.installTimeoutMinutes}`);
    }
    this.info = {
      title: "SonarQube and Trivy",
      description: "Code quality and security analysis (SonarQube) and vulnerability scanning of every running image and workload (Trivy operator)",
      subdomain: this.subdomain,
      docs: "https://docs.sonarsource.com/sonarqube-community-build/",
      lifecycle: "production",
    };
  }

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    const ns = platformNamespace(root, ctx, this.id, "restricted");
    const monitoring = deps.has("observability");
    const ingress = ingressFor(this.subdomain, ctx, deps);

    // SonarQube: managed PostgreSQL, connection synced into the namespace by external-secrets.
    const db = ctx.postgres(root, { name: "sonarqube", namespace: this.id });
    const dbSecret = databaseSecret(root, "DatabaseSecret", ctx, deps, db, {
      namespace: this.id,
      name: SONARQUBE_DB_SECRET,
      passwordKey: SONARQUBE_JDBC_PASSWORD_KEY,
      template: sonarqubeJdbcTemplate(db),
      dependsOn: [ns],
    });

    const admin = generatedSecret(root, "AdminSecret", {
      component: this.id,
      namespace: this.id,
      name: SONARQUBE_ADMIN_SECRET,
      passwordKeys: ["password"],
      // `currentPassword` is SonarQube's public factory default, which the chart's hook must send
      // once to set the generated one; it is not a secret and stops working at the first install.
      literals: { username: "admin", currentPassword: "admin" },
      description: "SonarQube admin password (user admin)",
      dependsOn: [ns],
    });
    // SonarQube refuses passwords without an upper- and lower-case letter, a digit and a special
    // character; these two specials need no quoting in a shell, a URL form or JSON.
    const adminPassword = admin.passwords.password;
    adminPassword.special = true;
    adminPassword.overrideSpecial = "%+";
    adminPassword.minSpecial = 1;
    adminPassword.minUpper = 1;
    adminPassword.minLower = 1;
    adminPassword.minNumeric = 1;

    const passcode = generatedSecret(root, "MonitoringPasscode", {
      component: this.id,
      namespace: this.id,
      name: SONARQUBE_PASSCODE_SECRET,
      passwordKeys: [SONARQUBE_PASSCODE_KEY],
      description: "SonarQube monitoring passcode (X-Sonar-Passcode for /api/monitoring/*)",
      dependsOn: [ns],
    });

    // Single sign-on with SAML (the Community Build's only SSO), if the identity service is offered.
    const publicUrl = `https://${ingress.host}`;
    const client = deps.maybe("identity")?.registerClient(root, {
      component: this.id,
      namespace: deps.namespaceOf(this.id),
      protocol: "saml",
      redirectUris: [`${publicUrl}/oauth2/callback/saml`],
      roles: { "platform-admins": "platform-admins", developers: "developers" },
    });
    const sonarqube = sonarqubeValues(ctx, {
      ingress,
      monitoring,
      databaseSecret: dbSecret.name,
      sonarProperties: client ? samlProperties(client, publicUrl) : undefined,
    });
    const sonarqubeRelease = platformRelease(root, "Sonarqube", ctx, {
      chart: "sonarqube",
      name: SONARQUBE_RELEASE,
      namespace: this.id,
      createNamespace: false,
      timeoutMinutes: this.timeout,
      // Its database secret (synced by external-secrets: dbSecret.ready waits for it) and credentials,
      // the monitoring CRDs for its PodMonitor, and Traefik: the chart's Ingress names no class, so the
      // default IngressClass (Traefik's) must exist when the Ingress is created. Not cert-manager: the
      // certificate follows the Ingress annotation whenever cert-manager runs.
      dependsOn: [ns, ...dbSecret.ready, admin.secret, passcode.secret, ...deps.ready("ingress"), ...(monitoring ? monitoringCrds(deps) : [])],
      values: [renderYaml(sonarqube)],
    });
    // The IdP certificate and the platform groups, through SonarQube's API once both run.
    // The Job reads the descriptor at the issuer's public URL: on a laptop through a host alias to the
    // ingress, trusting the local CA.
    const reach = client ? issuerReach(deps, client.issuer) : undefined;
    const ca = reach?.ca?.bundle(root, this.id, [ns]);
    const saml = client
      ? manifestsRelease(root, "Saml", ctx, {
          name: "sonarqube-saml",
          namespace: this.id,
          dependsOn: [sonarqubeRelease, ...client.ready, ...(ca?.ready ?? [])],
          timeoutMinutes: 15,
          manifests: [samlCertificateJob(ctx, client, { hostAliases: reach?.hostAliases ?? [], caConfigMap: ca?.configMap })],
        })
      : undefined;

    // Trivy operator: scans every workload's images and configuration; reports are CRDs, counts are metrics.
    const trivy = trivyValues(ctx, monitoring);
    const trivyRelease = platformRelease(root, "Trivy", ctx, {
      chart: "trivy-operator",
      name: TRIVY_RELEASE,
      namespace: this.id,
      createNamespace: false,
      // Its ServiceMonitor needs the monitoring CRDs.
      dependsOn: [ns, ...(monitoring ? monitoringCrds(deps) : [])],
      values: [renderYaml(trivy)],
    });
    grafanaDashboard(root, "VulnerabilitiesDashboard", {
      namespace: this.id,
      name: "trivy-vulnerabilities",
      folder: "Security",
      json: vulnerabilitiesDashboard(),
      dependsOn: [ns],
    });

    const t = trivy as { resources?: Values; operator?: { scanJobsConcurrentLimit?: number }; trivy?: { resources?: Values } };
    return {
      ready: [sonarqubeRelease, trivyRelease, ...(saml ? [saml] : [])],
      endpoints: { sonarqube: `https://${ingress.host}` },
      adminSecrets: [admin.location],
      services: {
        codeAnalysis: {
          url: SONARQUBE_URL,
          // After SonarQube (and Trivy, as the asking component used to wait for all of scanning).
          tokenFor: (scope, namespace, forComponent, after = []) =>
            sonarqubeTokenFor(scope, "SonarqubeToken", ctx, { namespace, forComponent, dependsOn: [...after, sonarqubeRelease, trivyRelease] }),
        },
      },
      // Scan jobs count at their concurrency limit: the pool must have room for them while they run.
      requests: sumRequests([
        { resources: sonarqube.resources },
        { resources: t.resources },
        { resources: t.trivy?.resources, replicas: Number(t.operator?.scanJobsConcurrentLimit ?? 0) },
      ]),
    };
  }
}
