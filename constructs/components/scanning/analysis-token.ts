import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { manifestsRelease } from "../../helm";
import type { AnalysisToken } from "../../services";
import { SCANNING_NAMESPACE, SONARQUBE_ADMIN_SECRET, SONARQUBE_URL, sonarqubeApiJob } from "./sonarqube";

/** The key of the token in the asking component's secret. */
const SONARQUBE_TOKEN_KEY = "token";

/** Secret, in the asking component's namespace, holding its SonarQube analysis token under `SONARQUBE_TOKEN_KEY`. */
function sonarqubeTokenSecret(forComponent: string): string {
  return `sonarqube-token-${forComponent}`;
}

export interface SonarqubeTokenProps {
  /** Namespace of the component that reads the token; it must exist (put it in `dependsOn`). */
  readonly namespace: string;
  /**
   * The asking component: the token in SonarQube (My Account > Security, owned by admin, type Global
   * Analysis), its secret and the minting job are named after it.
   */
  readonly forComponent: string;
  /** The SonarQube release (scanning's `ready`) and the asking component's namespace. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * A SonarQube token can only be minted through SonarQube's web API once it runs, so a Job does it:
 * after the SonarQube release, with the generated admin credentials, it creates a Global Analysis
 * token (analysis only, not administration) and writes it into `sonarqube-token-<component>` in the
 * asking component's namespace. The Job's service account may get and patch that one secret there and
 * nothing else; the token never passes through Terraform. A token the secret already holds is kept
 * while SonarQube still accepts it (CI servers read it at start); otherwise it is revoked and minted again.
 */
export function sonarqubeTokenFor(scope: Construct, id: string, ctx: PlatformContext, props: SonarqubeTokenProps): AnalysisToken {
  const ciNamespace = props.namespace;
  const tokenSecret = sonarqubeTokenSecret(props.forComponent);
  // One minter per asking component: two askers never share (or fight over) an object.
  const minter = `${props.forComponent}-sonarqube-token`;
  const release = manifestsRelease(scope, id, ctx, {
    name: minter,
    namespace: SCANNING_NAMESPACE,
    dependsOn: props.dependsOn,
    timeoutMinutes: 15,
    manifests: [
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: minter, namespace: SCANNING_NAMESPACE } },
      // Created empty (no data in the manifest, so upgrades leave the minted token alone); the Job fills it.
      {
        apiVersion: "v1",
        kind: "Secret",
        type: "Opaque",
        metadata: { name: tokenSecret, namespace: ciNamespace, labels: { "app.kubernetes.io/part-of": "fawkes" } },
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: minter, namespace: ciNamespace },
        rules: [{ apiGroups: [""], resources: ["secrets"], resourceNames: [tokenSecret], verbs: ["get", "patch"] }],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: minter, namespace: ciNamespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: minter },
        subjects: [{ kind: "ServiceAccount", name: minter, namespace: SCANNING_NAMESPACE }],
      },
      sonarqubeApiJob(ctx, {
        name: minter,
        serviceAccountName: minter,
        container: {
          name: "mint",
          script: MINT_SCRIPT,
          env: [
            { name: "SONARQUBE_URL", value: SONARQUBE_URL },
            { name: "TOKEN_NAME", value: props.forComponent },
            { name: "TARGET", value: `namespaces/${ciNamespace}/secrets/${tokenSecret}` },
            { name: "TOKEN_KEY", value: SONARQUBE_TOKEN_KEY },
            { name: "ADMIN_PASSWORD", valueFrom: { secretKeyRef: { name: SONARQUBE_ADMIN_SECRET, key: "password" } } },
          ],
        },
      }),
    ],
  });
  return { secret: { namespace: ciNamespace, name: tokenSecret, key: SONARQUBE_TOKEN_KEY }, ready: [release] };
}

/**
 * POSIX sh with curl, sed and base64 (all in the SonarQube image). The token only ever lives in shell
 * variables and the patch body read from stdin; nothing is logged but outcomes.
 */
const MINT_SCRIPT = `set -eu
sa=/var/run/secrets/kubernetes.io/serviceaccount
kube() { curl -fsS --cacert "$sa/ca.crt" -H "Authorization: Bearer $(cat "$sa/token")" "$@"; }
api="https://kubernetes.default.svc/api/v1/$TARGET"
valid() { curl -fsS -u "$1" "$SONARQUBE_URL/api/authentication/validate" 2>/dev/null | grep -q '"valid":true'; }
# The SonarQube release is ready, but its admin-password hook may only just have run.
n=0
until valid "admin:$ADMIN_PASSWORD"; do
  n=$((n+1)); [ "$n" -lt 60 ] || { echo "SonarQube at $SONARQUBE_URL does not accept the generated admin password"; exit 1; }
  sleep 10
done
current=$(kube "$api" | sed -n "s/.*\\"$TOKEN_KEY\\": *\\"\\([^\\"]*\\)\\".*/\\1/p" | base64 -d 2>/dev/null || true)
if [ -n "$current" ] && valid "$current:"; then echo "the CI token is still valid: kept"; exit 0; fi
curl -fsS -u "admin:$ADMIN_PASSWORD" -X POST "$SONARQUBE_URL/api/user_tokens/revoke" --data-urlencode "name=$TOKEN_NAME" >/dev/null 2>&1 || true
token=$(curl -fsS -u "admin:$ADMIN_PASSWORD" -X POST "$SONARQUBE_URL/api/user_tokens/generate" \\
  --data-urlencode "name=$TOKEN_NAME" --data-urlencode "type=GLOBAL_ANALYSIS_TOKEN" | sed -n 's/.*"token":"\\([^"]*\\)".*/\\1/p')
[ -n "$token" ] || { echo "SonarQube returned no token"; exit 1; }
printf '{"stringData":{"%s":"%s"}}' "$TOKEN_KEY" "$token" | kube -X PATCH -H "Content-Type: application/merge-patch+json" --data-binary @- "$api" >/dev/null
echo "minted a new SonarQube token for CI"
`;
