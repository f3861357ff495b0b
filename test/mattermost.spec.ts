import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { MattermostComponent } from "../constructs/components/mattermost";
import type { BucketRef } from "../constructs/context";
import { manifests, release, releaseId, resources, synthComponents } from "./support";

const installation = (tf: any) => manifests(release(tf, "mattermost")).find((o) => o.kind === "Mattermost");
/** A foundation whose buckets do not speak S3 (Azure Blob, GCS). */
const noS3 = (ctx: { bucket: (scope: any, name: string) => BucketRef }) => {
  ctx.bucket = (_scope, name) => ({ name: `blob-${name}`, dependsOn: [] });
};

describe("MattermostComponent", () => {
  const { tf, ctx, platform } = synthComponents(["mattermost", "observability"]);
  const mm = installation(tf);
  const env = Object.fromEntries(mm.spec.mattermostEnv.map((e: any) => [e.name, e.value]));
  const out = platform.outputs.get("mattermost")!;

  test("sign-up is by invitation only (open server off, set in code), from any domain unless restricted", () => {
    expect(env.MM_TEAMSETTINGS_ENABLEOPENSERVER).toBe("false");
    expect(env.MM_TEAMSETTINGS_RESTRICTCREATIONTODOMAINS).toBeUndefined();
    expect(mm.spec.licenseSecret).toBeUndefined();
    expect(mm.spec.mattermostEnv.filter((e: any) => e.name === "MM_TEAMSETTINGS_ENABLEOPENSERVER")).toHaveLength(1);
  });

  test("the operator comes from its chart; the Mattermost resource waits for it", () => {
    const operator = release(tf, "mattermost-operator");
    expect(operator).toMatchObject({ repository: "https://helm.mattermost.com", chart: "mattermost-operator", version: "1.0.5" });
    expect(operator.namespace).toMatch(/kubernetes_namespace_v1\.Platform_Mattermost_Operator_Namespace/);
    expect(mm).toMatchObject({ apiVersion: "installation.mattermost.com/v1beta1", metadata: { name: "mattermost", namespace: "mattermost" } });
    expect(release(tf, "mattermost").depends_on).toContain(releaseId(tf, "mattermost-operator"));
  });

  test("Team Edition, one server, on the workloads pool, restricted security context", () => {
    expect(mm.spec).toMatchObject({ image: "mattermost/mattermost-team-edition", replicas: 1 });
    expect(mm.spec.scheduling.nodeSelector).toEqual({ "fawkes.dev/pool": "workloads" });
    expect(mm.spec.podTemplate.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(mm.spec.podTemplate.containerSecurityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
  });

  test("the database comes from ctx.postgres, as the DB_CONNECTION_STRING the operator expects", () => {
    expect(ctx.databases).toEqual([{ name: "mattermost", namespace: "mattermost" }]);
    // Named by a reference to the Terraform-owned Secret that external-secrets fills.
    expect(mm.spec.database.external.secret).toMatch(/^\$\{kubernetes_secret_v1\.\w+\.metadata\[0\]\.name\}$/);
    const [, shell] = resources(tf, "kubernetes_secret_v1").find(([, sec]) => sec.metadata.name === "mattermost-database")!;
    expect(shell.lifecycle.ignore_changes).toContain("data");
    const [es] = manifests(release(tf, "mattermost-database-sync"));
    expect(es).toMatchObject({
      kind: "ExternalSecret",
      spec: { target: { name: "mattermost-database" }, data: [{ secretKey: "password", remoteRef: { key: "fake/mattermost" } }] },
    });
    expect(es.spec.target.template.data).toEqual({
      DB_CONNECTION_STRING: "postgres://mattermost:{{ .password | urlquery }}@mattermost.db.fake:5432/mattermost?sslmode=require&connect_timeout=10",
    });
    expect(release(tf, "mattermost").depends_on).toContain(releaseId(tf, "mattermost-database-sync"));
  });

  test("with an S3 bucket, files go there with workload identity on the service account the operator uses", () => {
    // One bucket of its own (observability asks for loki and tempo in the same synth).
    expect(ctx.buckets.filter((b) => !["loki", "tempo"].includes(b))).toEqual(["mattermost"]);
    expect(mm.spec.fileStore).toEqual({ external: { url: "s3.fake", bucket: "fake-mattermost", useServiceAccount: true } });
    expect(env.MM_FILESETTINGS_AMAZONS3REGION).toBe("fake-1");
    const grant = ctx.identities.find((i) => i.sa.namespace === "mattermost")!;
    expect(grant).toEqual({
      sa: { namespace: "mattermost", name: "mattermost" },
      grants: [{ bucket: expect.objectContaining({ name: "fake-mattermost" }), access: "readwrite" }],
    });
    const [saId, sa] = resources(tf, "kubernetes_service_account_v1").find(([, s]) => s.metadata.namespace === "mattermost")!;
    expect(sa.metadata).toMatchObject({ name: "mattermost", annotations: { "fake.cloud/identity": "mattermost/mattermost" } });
    expect(mm.spec.podTemplate.extraLabels).toEqual({ "fake.cloud/use": "true" });
    expect(release(tf, "mattermost").depends_on).toContain(`kubernetes_service_account_v1.${saId}`);
    expect(resources(tf, "kubernetes_persistent_volume_claim_v1")).toEqual([]);
  });

  test("without S3, files go to a volume on the platform StorageClass and the pod is replaced, not rolled", () => {
    const local = synthComponents(["mattermost"], { context: noS3 });
    const spec = installation(local.tf).spec;
    expect(spec.fileStore).toEqual({ externalVolume: { volumeClaimName: "mattermost-files" } });
    const [pvcId, pvc] = resources(local.tf, "kubernetes_persistent_volume_claim_v1")[0];
    expect(pvc.spec).toMatchObject({ storage_class_name: "fake-encrypted", access_modes: ["ReadWriteOnce"], resources: { requests: { storage: "20Gi" } } });
    expect(pvc.wait_until_bound).toBe(false);
    expect(spec.deploymentTemplate).toEqual({ deploymentStrategyType: "Recreate" });
    expect(spec.updateJob).toEqual({ disabled: true });
    expect(local.ctx.identities.filter((i) => i.sa.namespace === "mattermost")).toEqual([]);
    expect(resources(local.tf, "kubernetes_service_account_v1").filter(([, s]) => s.metadata.namespace === "mattermost")).toEqual([]);
    expect(release(local.tf, "mattermost").depends_on).toContain(`kubernetes_persistent_volume_claim_v1.${pvcId}`);
  });

  test("served at https://mattermost.<domain> through the platform ingress", () => {
    expect(mm.spec.ingress).toEqual({
      enabled: true,
      host: "mattermost.fawkes.test",
      tlsSecret: "mattermost-tls",
      ingressClass: "traefik",
      annotations: expect.objectContaining({ "cert-manager.io/cluster-issuer": "letsencrypt-staging" }),
    });
    expect(out.endpoints).toEqual({ mattermost: "https://mattermost.fawkes.test" });
  });

  test("Boards is switched on", () => {
    expect(JSON.parse(env.MM_PLUGINSETTINGS_PLUGINSTATES).focalboard).toEqual({ Enable: true });
    expect(env.MM_PLUGINSETTINGS_ENABLE).toBe("true");
  });

  test("the system admin is created by a Job from a generated password, never a literal", () => {
    const [, secret] = resources(tf, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "mattermost-admin")!;
    expect(secret.data.password).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    const bootstrap = release(tf, "mattermost-admin-bootstrap");
    expect(bootstrap.depends_on).toContain(releaseId(tf, "mattermost"));
    const [job] = manifests(bootstrap);
    const container = job.spec.template.spec.containers[0];
    expect(container.env.find((e: any) => e.name === "ADMIN_PASSWORD")).toEqual({
      name: "ADMIN_PASSWORD",
      valueFrom: { secretKeyRef: { name: "mattermost-admin", key: "password" } },
    });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(out.adminSecrets).toEqual([expect.objectContaining({ namespace: "mattermost", name: "mattermost-admin", key: "password" })]);
    expect(JSON.stringify(mm)).not.toMatch(/password/i);
  });

  test("with observability, the operator's metrics are scraped (Team Edition has none of its own)", () => {
    const monitor = manifests(release(tf, "mattermost")).find((o) => o.kind === "PodMonitor");
    expect(monitor).toMatchObject({ metadata: { namespace: "mattermost-operator" }, spec: { podMetricsEndpoints: [{ port: "metrics" }] } });
    expect(release(tf, "mattermost").depends_on).toContain(releaseId(tf, "kube-prometheus-stack"));
    const alone = synthComponents(["mattermost"]);
    expect(manifests(release(alone.tf, "mattermost")).map((o) => o.kind)).toEqual(["Mattermost"]);
  });

  test("namespaces: Mattermost restricted, the operator baseline", () => {
    const levels = Object.fromEntries(
      resources(tf, "kubernetes_namespace_v1").map(([, n]) => [n.metadata.name, n.metadata.labels["pod-security.kubernetes.io/enforce"]]),
    );
    expect(levels).toMatchObject({ mattermost: "restricted", "mattermost-operator": "baseline" });
  });

  test("requests and resources follow the profile", () => {
    expect(out.requests).toEqual({ cpu: 0.25, memoryGiB: 0.5 });
    const standard = synthComponents(["mattermost"], { profile: "standard" });
    expect(installation(standard.tf).spec.scheduling.resources.requests).toEqual({ cpu: "1", memory: "2Gi" });
    expect(standard.platform.outputs.get("mattermost")!.requests).toEqual({ cpu: 1, memoryGiB: 2 });
  });

  test("the bootstrap Job is a Helm hook, created afresh on every install and upgrade (a Job's template is immutable)", () => {
    const bootstrap = release(tf, "mattermost-admin-bootstrap");
    const [job, ...rest] = manifests(bootstrap);
    expect(rest).toEqual([]);
    expect(job.kind).toBe("Job");
    expect(job.metadata.annotations).toEqual({ "helm.sh/hook": "post-install,post-upgrade", "helm.sh/hook-delete-policy": "before-hook-creation" });
    // Helm waits for a hook Job within the release timeout: the Job's deadline must fit in it.
    expect(job.spec.activeDeadlineSeconds).toBeLessThan(bootstrap.timeout);
    // A separate release: a Job that times out must not roll the installation back with it.
    expect(manifests(release(tf, "mattermost")).map((o) => o.kind)).not.toContain("Job");
  });

  describe("the bootstrap script, run against a fake Mattermost", () => {
    // The shipped script, as Terraform hands it to Helm (Terraform turns %%{ back into %{).
    const script = (manifests(release(tf, "mattermost-admin-bootstrap"))[0].spec.template.spec.containers[0].command[2] as string).replace(/%%\{/g, "%{");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mm-bootstrap-"));
    // curl as the script calls it: the ping, and POST /api/v4/users answered like Mattermost does.
    fs.writeFileSync(
      path.join(dir, "curl"),
      `#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2);
const url = args[args.length - 1];
const state = process.env.FAKE_STATE;
const users = fs.existsSync(state) ? JSON.parse(fs.readFileSync(state, "utf8")) : [];
if (url.endsWith("/api/v4/system/ping")) process.exit(0);
const body = JSON.parse(fs.readFileSync(0, "utf8"));
let code, out;
if (users.some((u) => u.username === body.username)) [code, out] = [400, { id: "app.user.save.username_exists.app_error" }];
else if (users.length > 0 && process.env.FAKE_OPEN !== "true") [code, out] = [403, { id: "api.user.create_user.no_open_server" }];
else {
  users.push({ username: body.username, admin: users.length === 0 });
  fs.writeFileSync(state, JSON.stringify(users));
  [code, out] = [201, { username: body.username }];
}
process.stdout.write(JSON.stringify(out) + "\\n" + code);
`,
      { mode: 0o755 },
    );
    const run = (state: string, open = false) =>
      spawnSync("/bin/sh", ["-c", script], {
        encoding: "utf8",
        env: {
          PATH: `${dir}:${process.env.PATH}`,
          FAKE_STATE: state,
          FAKE_OPEN: String(open),
          SERVER: "http://mattermost.test:8065",
          ADMIN_USERNAME: "fawkes-admin",
          ADMIN_EMAIL: "fawkes-admin@fawkes.test",
          ADMIN_PASSWORD: "generated0123",
        },
      });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test.each([false, true])("running it twice succeeds and makes exactly one admin (open sign-up: %s)", (open) => {
      const state = path.join(dir, `users-${open}.json`);
      const first = run(state, open);
      expect(first.stdout).toContain("created the system admin fawkes-admin");
      expect(first.status).toBe(0);
      const second = run(state, open);
      expect(second.stdout).toMatch(/nothing to do/);
      expect(second.status).toBe(0);
      expect(JSON.parse(fs.readFileSync(state, "utf8"))).toEqual([{ username: "fawkes-admin", admin: true }]);
    });
  });

  test("the bootstrap script parses and its %{...} is escaped for Terraform", () => {
    for (const v of release(tf, "mattermost-admin-bootstrap").values) expect(() => parseYaml(v)).not.toThrow();
    expect(release(tf, "mattermost-admin-bootstrap").values.join("\n")).toContain("%%{http_code}");
  });

  test("a bad subdomain fails at construction, naming the prop and the value", () => {
    expect(() => new MattermostComponent({ subdomain: "Chat!" })).toThrow('MattermostProps.subdomain must be a DNS label (a-z, 0-9, "-"), got "Chat!"');
  });
});
