import type { PlatformContext } from "../../context";
import type { Values } from "../../helm";
import type { HostAlias } from "../../in-cluster-issuer";
import type { RegisteredClient, SecretKeyRef } from "../../services";
import { SONARQUBE_ADMIN_SECRET, SONARQUBE_URL, sonarqubeApiJob } from "./sonarqube";

/**
 * SonarQube's group names, the same as the platform's (SAML group sync only joins groups that exist
 * in SonarQube: the certificate job creates them), with their global permissions.
 */
const SONARQUBE_GROUP_PERMISSIONS: Record<string, string[]> = {
  "platform-admins": ["admin"],
  developers: ["provisioning", "scan"],
};

/** Where the Job mounts the local CA (a laptop), for curl's `--cacert`. */
const CA_DIR = "/etc/fawkes/ca";

/** SAML attributes the identity provider sends (the realm's mappers for this client). */
const SAML_ATTRIBUTES = { login: "login", name: "name", email: "email" };

/**
 * SonarQube's built-in SAML (Community Build), as `sonarProperties` (sonar.properties, read at start):
 * everything known at synth. The IdP's signing certificate is not (Keycloak makes its realm keys at
 * first start): `samlCertificateJob` reads it from the realm's SAML descriptor and sets it through
 * SonarQube's API, the one setting that is not in sonar.properties.
 */
export function samlProperties(client: RegisteredClient, publicUrl: string): Values {
  return {
    "sonar.core.serverBaseURL": publicUrl,
    // Nothing but the login page without signing in (SonarQube's default, made explicit).
    "sonar.forceAuthentication": "true",
    "sonar.auth.saml.enabled": "true",
    "sonar.auth.saml.applicationId": client.clientId,
    "sonar.auth.saml.providerName": "Fawkes SSO",
    // Keycloak's IdP entity id is the realm's issuer URL; its SAML endpoint is under it.
    "sonar.auth.saml.providerId": client.issuer,
    "sonar.auth.saml.loginUrl": `${client.issuer}/protocol/saml`,
    "sonar.auth.saml.user.login": SAML_ATTRIBUTES.login,
    "sonar.auth.saml.user.name": SAML_ATTRIBUTES.name,
    "sonar.auth.saml.user.email": SAML_ATTRIBUTES.email,
    "sonar.auth.saml.group.name": client.groupsClaim,
  };
}

/**
 * A hook Job (after every install and upgrade of SonarQube): fetches the realm's SAML descriptor,
 * sets its signing certificate in SonarQube, and makes the platform groups with their permissions.
 * Idempotent: a group that exists is kept, a permission already given is given again.
 */
export function samlCertificateJob(
  ctx: PlatformContext,
  client: RegisteredClient,
  reach: { readonly hostAliases: HostAlias[]; readonly caConfigMap?: SecretKeyRef } = { hostAliases: [] },
): Values {
  const groups = Object.entries(SONARQUBE_GROUP_PERMISSIONS)
    .map(([group, permissions]) => `${group}:${permissions.join(",")}`)
    .join(" ");
  return sonarqubeApiJob(ctx, {
    name: "sonarqube-saml",
    labels: { "app.kubernetes.io/part-of": "fawkes" },
    pod: {
      ...(reach.hostAliases.length ? { hostAliases: reach.hostAliases } : {}),
      ...(reach.caConfigMap ? { volumes: [{ name: "fawkes-ca", configMap: { name: reach.caConfigMap.name } }] } : {}),
    },
    container: {
      name: "saml",
      script: SAML_SCRIPT.replace("CACERT", reach.caConfigMap ? '--cacert "$CA_FILE" ' : ""),
      env: [
        { name: "SONARQUBE_URL", value: SONARQUBE_URL },
        { name: "DESCRIPTOR", value: `${client.issuer}/protocol/saml/descriptor` },
        { name: "GROUPS", value: groups },
        { name: "ADMIN_PASSWORD", valueFrom: { secretKeyRef: { name: SONARQUBE_ADMIN_SECRET, key: "password" } } },
        ...(reach.caConfigMap ? [{ name: "CA_FILE", value: `${CA_DIR}/${reach.caConfigMap.key}` }] : []),
      ],
      ...(reach.caConfigMap ? { volumeMounts: [{ name: "fawkes-ca", mountPath: CA_DIR, readOnly: true }] } : {}),
    },
  });
}

/**
 * POSIX sh with curl, sed and tr (the SonarQube image). The admin password only in a variable.
 * `CACERT` becomes `--cacert "$CA_FILE" ` where the issuer's certificate is the local CA's, else nothing.
 */
const SAML_SCRIPT = `set -eu
n=0
until curl -fsS -u "admin:$ADMIN_PASSWORD" "$SONARQUBE_URL/api/authentication/validate" 2>/dev/null | grep -q '"valid":true'; do
  n=$((n+1)); [ "$n" -lt 60 ] || { echo "SonarQube at $SONARQUBE_URL does not accept the generated admin password"; exit 1; }
  sleep 10
done
n=0
until cert=$(curl -fsS CACERT"$DESCRIPTOR" | tr -d '\\n' | sed -n 's/.*<[^>]*X509Certificate>\\([^<]*\\)<.*/\\1/p') && [ -n "$cert" ]; do
  n=$((n+1)); [ "$n" -lt 60 ] || { echo "no signing certificate in $DESCRIPTOR"; exit 1; }
  sleep 10
done
curl -fsS -u "admin:$ADMIN_PASSWORD" -X POST "$SONARQUBE_URL/api/settings/set" --data-urlencode "key=sonar.auth.saml.certificate.secured" --data-urlencode "value=$cert" >/dev/null
echo "set the identity provider's certificate"
for entry in $GROUPS; do
  group=\${entry%%:*}
  curl -fsS -u "admin:$ADMIN_PASSWORD" -X POST "$SONARQUBE_URL/api/user_groups/create" --data-urlencode "name=$group" >/dev/null 2>&1 || true
  for permission in $(echo "\${entry#*:}" | tr ',' ' '); do
    curl -fsS -u "admin:$ADMIN_PASSWORD" -X POST "$SONARQUBE_URL/api/permissions/add_group" --data-urlencode "groupName=$group" --data-urlencode "permission=$permission" >/dev/null
  done
  echo "group $group: \${entry#*:}"
done
`;
