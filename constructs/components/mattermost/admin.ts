/**
 * Mattermost makes the first account it creates a system admin, and anyone reaching the sign-up
 * page first could claim it. This Job claims it right after the server answers, with a generated
 * password read from a Secret; if an account already exists the server refuses (open sign-up is
 * off, or the name is taken) and the Job just reports it, so running it again changes nothing.
 *
 * It is a Helm hook (post-install, post-upgrade; the previous run deleted before the next): a plain
 * Job's pod template is immutable, so a release upgrade that changed its spec (image, URL, deadline)
 * would fail while the finished Job is still there. As a hook it is created afresh on every upgrade.
 */

/** curl, pinned (the image the Grafana chart uses for its dashboard downloads). */
const BOOTSTRAP_IMAGE = "docker.io/curlimages/curl:8.21.0";

export interface AdminBootstrapProps {
  readonly namespace: string;
  /** In-cluster base URL of the Mattermost server (the operator's Service). */
  readonly serverUrl: string;
  /** Secret with keys username, email, password. */
  readonly secretName: string;
  /** Give up after this long (the server runs its migrations on first start). */
  readonly deadlineSeconds: number;
}

// Plain sh, no ${...}: the password is letters and digits only (generatedSecret), so it needs no JSON escaping.
const BOOTSTRAP_SCRIPT = `set -eu
until curl -sf -o /dev/null "$SERVER/api/v4/system/ping"; do echo "waiting for Mattermost"; sleep 10; done
# The body goes through stdin (printf is a shell builtin), so the password is never a process argument.
resp=$(printf '{"username":"%s","email":"%s","password":"%s"}' "$ADMIN_USERNAME" "$ADMIN_EMAIL" "$ADMIN_PASSWORD" |
  curl -s -w '\\n%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @- "$SERVER/api/v4/users")
code=$(printf '%s' "$resp" | tail -n 1)
case "$code" in
  201) echo "created the system admin $ADMIN_USERNAME" ;;
  # Sign-up is closed once the first account exists (open server off): the admin is already there.
  403|501) echo "an account already exists (HTTP $code): nothing to do" ;;
  # With open sign-up switched on, a second run is refused because the account is already there.
  400) if printf '%s' "$resp" | grep -q '_exists.app_error'; then echo "$ADMIN_USERNAME already exists: nothing to do"; exit 0; fi
       echo "Mattermost refused the admin account (HTTP $code):"; printf '%s\\n' "$resp"; exit 1 ;;
  *) echo "Mattermost refused the admin account (HTTP $code):"; printf '%s\\n' "$resp"; exit 1 ;;
esac
`;

export function adminBootstrapJob(props: AdminBootstrapProps): Record<string, unknown> {
  const fromSecret = (key: string) => ({ valueFrom: { secretKeyRef: { name: props.secretName, key } } });
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "mattermost-admin-bootstrap",
      namespace: props.namespace,
      labels: { "app.kubernetes.io/part-of": "fawkes" },
      // Re-created on every install and upgrade (a Job's template cannot be changed in place); the
      // last run stays for its logs until the next one, or until its TTL.
      annotations: { "helm.sh/hook": "post-install,post-upgrade", "helm.sh/hook-delete-policy": "before-hook-creation" },
    },
    spec: {
      backoffLimit: 3,
      activeDeadlineSeconds: props.deadlineSeconds,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels: { "app.kubernetes.io/name": "mattermost-admin-bootstrap" } },
        spec: {
          restartPolicy: "OnFailure",
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "bootstrap",
              image: BOOTSTRAP_IMAGE,
              command: ["/bin/sh", "-c", BOOTSTRAP_SCRIPT],
              env: [
                { name: "SERVER", value: props.serverUrl },
                { name: "ADMIN_USERNAME", ...fromSecret("username") },
                { name: "ADMIN_EMAIL", ...fromSecret("email") },
                { name: "ADMIN_PASSWORD", ...fromSecret("password") },
              ],
              resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
  };
}
