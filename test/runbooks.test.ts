import { publishedRepositories } from "./support";
import * as fs from "node:fs";
import * as path from "node:path";
import * as nunjucks from "nunjucks";
import { parse as parseYaml } from "yaml";
import { TEAM_NAMESPACED_KINDS } from "../constructs/components/argocd/teams";
import { RELAY_ALERTMANAGER_URL } from "../constructs/components/dora/relay";
import { alertmanagerConfig } from "../constructs/components/observability/alerting";
import {
  alertsOf,
  COMPONENT_NAMESPACES,
  headingAnchor,
  PLATFORM_DOCS,
  platformAlertsManifest,
  platformDocsFiles,
  RUNBOOKS_DIR,
  runbookUrl,
  serviceRunbookUrl,
} from "../constructs/runbooks";
import { synthesized, type StandardKey } from "./synthesized";
import { release, releaseId, values } from "./tf";

/**
 * Alerts and runbooks (issue 14): every alert rule the platform ships (in every synthesized stack)
 * and every default alert of a golden-path service carries `service`, `severity` and a
 * `runbook_url`; a platform runbook URL names a page of docs/runbooks/ and a heading on it (a
 * dangling link fails); the runbooks are published and registered in the catalog; Alertmanager
 * sends service alerts to Mattermost, with the runbook link, and to the DORA relay.
 */

const STACKS: StandardKey[] = ["fawkes-aws", "fawkes-azure", "fawkes-gcp", "fawkes-local", "fawkes-local-all"];
const REPO = path.join(__dirname, "..");
/** What the API server and Prometheus receive: Terraform turns `$${` back into `${`. */
const unescape = (s: string) => s.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
const isObject = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Alerting rules anywhere in a value: objects, and YAML or JSON inside strings (helm values). */
function* rulesIn(v: unknown, depth = 0): Generator<Rule> {
  if (typeof v === "string") {
    if (depth > 0 || !/\balert"?\s*:/.test(v)) return;
    let doc: unknown;
    try {
      doc = parseYaml(unescape(v));
    } catch {
      return;
    }
    yield* rulesIn(doc, depth + 1);
    return;
  }
  if (Array.isArray(v)) for (const x of v) yield* rulesIn(x, depth);
  else if (isObject(v)) {
    if (typeof v.alert === "string" && "expr" in v) yield v as Rule;
    else for (const x of Object.values(v)) yield* rulesIn(x, depth);
  }
}

/** Every alert rule of a stack: chart values and manifests of every release, ConfigMap data. */
function stackRules(tf: any): Rule[] {
  const out: Rule[] = [];
  for (const r of Object.values<any>(tf.resource?.helm_release ?? {})) for (const raw of r.values ?? []) out.push(...rulesIn(raw));
  for (const cm of Object.values<any>(tf.resource?.kubernetes_config_map_v1 ?? {})) {
    for (const [key, data] of Object.entries<string>(cm.data ?? {})) if (/\.(ya?ml|json)$/.test(key)) out.push(...rulesIn(data));
  }
  return out;
}

/** The headings' anchors of a runbook page, as TechDocs (mkdocs' toc) makes them. */
function anchorsOf(file: string): Set<string> {
  const text = fs.readFileSync(file, "utf8").replace(/^```[\s\S]*?^```/gm, "");
  return new Set([...text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => headingAnchor(m[1]!)));
}

/** Why a platform runbook URL does not resolve to a page and heading in docs/runbooks/ (undefined: it does). */
function danglingReason(url: string, domain: string): string | undefined {
  const u = new URL(url);
  if (u.host !== `backstage.${domain}`) return `host ${u.host} is not the portal`;
  const m = /^\/docs\/default\/component\/([a-z0-9-]+)\/([a-z0-9-]+)\/$/.exec(u.pathname);
  if (!m || m[1] !== PLATFORM_DOCS) return `path ${u.pathname} is not a page of ${PLATFORM_DOCS}`;
  const file = path.join(RUNBOOKS_DIR, `${m[2]}.md`);
  if (!fs.existsSync(file)) return `docs/runbooks/${m[2]}.md does not exist`;
  const anchor = u.hash.slice(1);
  if (!anchor) return "no #anchor";
  if (!anchorsOf(file).has(anchor)) return `docs/runbooks/${m[2]}.md has no heading #${anchor}`;
  return undefined;
}

/** The platform's domain, from Grafana's public URL (https://grafana.<domain>). */
const domainOf = (tf: any): string => new URL(values(release(tf, "grafana")).env.GF_SERVER_ROOT_URL).host.replace(/^grafana\./, "");

describe("platform alerts", () => {
  test.each(STACKS)("%s: every alert rule has service, severity and a runbook_url that resolves to a heading in docs/runbooks/", (key) => {
    const tf = synthesized(key);
    const domain = domainOf(tf);
    const rules = stackRules(tf);
    expect(rules.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const r of rules) {
      const where = `${r.alert} (service ${r.labels?.service})`;
      if (!r.labels?.service) problems.push(`${where}: no service label`);
      if (!/^(critical|warning|info)$/.test(r.labels?.severity ?? "")) problems.push(`${where}: severity ${r.labels?.severity}`);
      const url = r.annotations?.runbook_url;
      if (!url) {
        problems.push(`${where}: no runbook_url`);
        continue;
      }
      const reason = danglingReason(url, domain);
      if (reason) problems.push(`${where}: ${url}: ${reason}`);
      // A platform alert's page is its component's.
      else if (!url.includes(`/${PLATFORM_DOCS}/${r.labels?.service}/`)) problems.push(`${where}: ${url} is not the page of its service`);
    }
    expect(problems).toEqual([]);
  });

  test("every enabled component's alerts are installed, after the Prometheus Operator's CRDs", () => {
    const tf = synthesized("fawkes-local-all");
    const services = new Set(stackRules(tf).map((r) => r.labels?.service));
    for (const id of ["ingress", "tls", "identity", "git", "backstage", "argocd", "observability", "mattermost", "scanning", "jenkins", "dojo", "dora"]) {
      expect([id, services.has(id)]).toEqual([id, true]);
    }
    expect(services.has("dojo") && stackRules(tf).some((r) => r.alert === "DojoReconcilerStale" && r.labels?.service === "dojo")).toBe(true);
    // The cloud front door (external-dns, external-secrets) is not on a laptop.
    const cloud = new Set(stackRules(synthesized("fawkes-aws")).map((r) => r.labels?.service));
    expect(["dns", "secrets"].filter((id) => !cloud.has(id))).toEqual([]);
    const alerts = release(tf, "platform-alerts");
    expect(alerts.namespace).toBe("observability");
    expect(alerts.depends_on).toContain(releaseId(tf, "kube-prometheus-stack"));
  });

  test("each runbook documents every alert of its component, and the dangling-link check catches a bad page or anchor", () => {
    for (const id of Object.keys(COMPONENT_NAMESPACES)) {
      const file = path.join(RUNBOOKS_DIR, `${id}.md`);
      expect([id, fs.existsSync(file)]).toEqual([id, true]);
      const anchors = anchorsOf(file);
      for (const a of alertsOf(id)) expect([id, a.alert, anchors.has(headingAnchor(a.alert))]).toEqual([id, a.alert, true]);
      expect([id, anchors.has("escalation")]).toEqual([id, true]);
    }
    expect(danglingReason(runbookUrl("example.org", "tls", "CertificateNotReady"), "example.org")).toBeUndefined();
    expect(danglingReason(runbookUrl("example.org", "tls", "NoSuchAlert"), "example.org")).toMatch(/no heading #nosuchalert/);
    expect(danglingReason(runbookUrl("example.org", "nosuchpage", "X"), "example.org")).toMatch(/does not exist/);
    expect(headingAnchor("ingress (Traefik): the front door")).toBe("ingress-traefik-the-front-door");
  });

  test("every expression is balanced (parentheses, braces, brackets, quotes): a typo fails here, not in Prometheus", () => {
    const template = fs.readFileSync(path.join(REPO, "templates", "_shared", "deploy", "base", "prometheusrule.yaml"), "utf8");
    const exprs = [...stackRules(synthesized("fawkes-local-all")), ...rulesIn(parseYaml(template))].map((r) => [r.alert, r.expr] as const);
    for (const [alert, expr] of exprs) {
      const stack: string[] = [];
      const pairs: Record<string, string> = { ")": "(", "}": "{", "]": "[" };
      let ok = (expr.match(/"/g) ?? []).length % 2 === 0;
      for (const c of expr.replace(/"[^"]*"/g, '""')) {
        if ("({[".includes(c)) stack.push(c);
        else if (c in pairs && stack.pop() !== pairs[c]) ok = false;
      }
      expect([alert, ok && stack.length === 0]).toEqual([alert, true]);
    }
  });

  test("a rule's labels are its own: no alert expression keeps a series label named service (it would clash)", () => {
    const manifest = platformAlertsManifest("example.org", Object.keys(COMPONENT_NAMESPACES), "observability") as any;
    const rules = manifest.spec.groups.flatMap((g: any) => g.rules);
    for (const r of rules) expect([r.alert, /\bservice\b/.test(r.expr)]).toEqual([r.alert, false]);
    expect(new Set(manifest.spec.groups.map((g: any) => g.name)).size).toBe(manifest.spec.groups.length);
  });
});

describe("the runbooks in the catalog", () => {
  test("mkdocs' nav lists every page, and every page it lists exists", () => {
    const mkdocs = parseYaml(fs.readFileSync(path.join(RUNBOOKS_DIR, "mkdocs.yml"), "utf8"));
    expect(mkdocs.plugins).toContain("techdocs-core");
    const listed = new Set<string>();
    const walk = (v: unknown): void => {
      if (typeof v === "string") listed.add(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (isObject(v)) Object.values(v).forEach(walk);
    };
    walk(mkdocs.nav);
    const pages = fs.readdirSync(RUNBOOKS_DIR).filter((f) => f.endsWith(".md"));
    expect([...listed].sort()).toEqual(pages.sort());
    expect(pages).toEqual(expect.arrayContaining(["index.md", "service.md"]));
  });

  test("platform-docs is published with a TechDocs Component, and Backstage registers it", () => {
    const tf = synthesized("fawkes-local-all");
    const repo = Object.values<any>(tf.resource.kubernetes_config_map_v1)
      .map((cm) => publishedRepositories(cm)[PLATFORM_DOCS])
      .find((d) => d !== undefined)!;
    expect(repo).toBeDefined();
    expect(repo.files).toEqual(platformDocsFiles());
    expect(Object.keys(repo.files)).toEqual(expect.arrayContaining(["catalog-info.yaml", "mkdocs.yml", "docs/index.md", "docs/service.md", "docs/tls.md"]));
    const entity = parseYaml(repo.files["catalog-info.yaml"]);
    expect(entity).toMatchObject({ kind: "Component", metadata: { name: PLATFORM_DOCS, annotations: { "backstage.io/techdocs-ref": "dir:." } } });

    const appConfig = JSON.stringify(values(release(tf, "backstage")));
    const locations = [...appConfig.matchAll(/"type":"url","target":"([^"]+)","rules":\[\{"allow":\["Component"\]\}\]/g)].map((m) => m[1]);
    expect(locations).toEqual([expect.stringMatching(new RegExp(`/platform/${PLATFORM_DOCS}/.*catalog-info\\.yaml$`))]);
  });
});

describe("Alertmanager routing", () => {
  /** The receivers an alert reaches, as Alertmanager walks the routes (first match, on while `continue`). */
  function receivers(config: any, labels: Record<string, string>): string[] {
    const matches = (m: string) => {
      const [, name, op, raw] = /^(\w+)\s*(=~|!~|!=|=)\s*"?(.*?)"?$/.exec(m)!;
      const value = labels[name!] ?? "";
      const re = new RegExp(`^(?:${raw})$`);
      return op === "=" ? value === raw : op === "!=" ? value !== raw : op === "=~" ? re.test(value) : !re.test(value);
    };
    const out: string[] = [];
    for (const r of config.route.routes) {
      if (!(r.matchers ?? []).every(matches)) continue;
      out.push(r.receiver);
      if (!r.continue) return out;
    }
    return out.length ? out : [config.route.receiver];
  }

  test("a component's or a service's alert reaches Mattermost and the DORA relay; the message links the runbook", () => {
    const tf = synthesized("fawkes-local-all");
    const config = values(release(tf, "kube-prometheus-stack")).alertmanager.config;
    expect(receivers(config, { alertname: "FawkesWorkloadDown", service: "ingress", severity: "critical" })).toEqual(["fawkes-events", "mattermost"]);
    expect(receivers(config, { alertname: "ServiceErrorBudgetBurn", service: "orders", team: "payments", env: "production", severity: "critical" })).toEqual([
      "fawkes-events",
      "mattermost",
    ]);
    // kube-prometheus-stack's own alerts (no service label) are not incidents.
    expect(receivers(config, { alertname: "KubePodCrashLooping", severity: "warning" })).toEqual(["mattermost"]);
    const relay = config.receivers.find((r: any) => r.name === "fawkes-events");
    expect(relay.webhook_configs).toEqual([expect.objectContaining({ url: RELAY_ALERTMANAGER_URL, send_resolved: true })]);
    const slack = config.receivers.find((r: any) => r.name === "mattermost").slack_configs[0];
    expect(slack.text).toContain("{{ .CommonAnnotations.runbook_url }}");
    expect(slack.title).toContain("{{ .CommonLabels.alertname }}");
  });

  test("without dora, service alerts go to Mattermost only", () => {
    const config = alertmanagerConfig();
    expect(receivers(config, { alertname: "FawkesWorkloadDown", service: "ingress", severity: "critical" })).toEqual(["mattermost"]);
    expect(config.receivers).not.toContainEqual(expect.objectContaining({ name: "fawkes-events" }));
  });
});

describe("golden-path services' default alerts", () => {
  const BASE = path.join(REPO, "templates", "_shared", "deploy", "base");
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true, tags: { variableStart: "${{", variableEnd: "}}" } });
  const valuesFor = { name: "orders", team: "payments", platform: { domain: "fawkes.example.org" } };
  const render = (file: string) => parseYaml(env.renderString(fs.readFileSync(path.join(BASE, file), "utf8"), { values: valuesFor }));

  test("availability, error-rate and latency burn-rate alerts with service, team, env and the service's own runbook", () => {
    const rule = render("prometheusrule.yaml");
    const rules: Rule[] = [...rulesIn(rule)];
    expect(rules.map((r) => r.alert).sort()).toEqual(["ServiceErrorBudgetBurn", "ServiceLatencyBudgetBurn", "ServiceUnavailable"]);
    for (const r of rules) {
      expect(r.labels).toMatchObject({ service: "orders", team: "payments", severity: expect.stringMatching(/^(critical|warning)$/) });
      expect(r.annotations?.runbook_url).toBe(serviceRunbookUrl("fawkes.example.org", "orders"));
      // Only this service's namespaces, and env from the namespace.
      expect(r.expr).toContain('namespace=~"payments-orders-(staging|production)"');
      expect(r.expr).toMatch(/label_replace\([\s\S]*"env", "\$1", "namespace", "\.\*-\(staging\|production\)"\)$/);
    }
    const burn = rules.filter((r) => r.alert.endsWith("BudgetBurn"));
    for (const r of burn) for (const w of ["[1h]", "[5m]", "[6h]", "[30m]"]) expect([r.alert, r.expr.includes(w)]).toEqual([r.alert, true]);
    expect(burn.find((r) => r.alert === "ServiceErrorBudgetBurn")!.expr).toContain('http_requests_total{service="orders"');
    expect(burn.find((r) => r.alert === "ServiceLatencyBudgetBurn")!.expr).toContain("http_request_duration_seconds_bucket");
  });

  test("the runbook URL is the service's TechDocs runbook page; the ServiceMonitor scrapes the Service; Argo CD may create both", () => {
    const mkdocs = parseYaml(fs.readFileSync(path.join(REPO, "templates", "_shared", "mkdocs.yml"), "utf8"));
    expect(JSON.stringify(mkdocs.nav)).toContain('"runbook.md"');
    // The page the alerts link to names each of them, and the platform's guide (docs/runbooks/service.md) explains each.
    const page = fs.readFileSync(path.join(REPO, "templates", "_shared", "docs", "runbook.md"), "utf8");
    const guide = anchorsOf(path.join(RUNBOOKS_DIR, "service.md"));
    for (const alert of ["ServiceUnavailable", "ServiceErrorBudgetBurn", "ServiceLatencyBudgetBurn"]) {
      expect([alert, page.includes(`\`${alert}\``), guide.has(headingAnchor(alert))]).toEqual([alert, true, true]);
    }
    expect(page).toContain(`/docs/default/component/${PLATFORM_DOCS}/service/`);
    const catalog = fs.readFileSync(path.join(REPO, "templates", "_shared", "catalog-info.yaml"), "utf8");
    expect(catalog).toMatch(/backstage\.io\/techdocs-ref: dir:\./);
    expect(serviceRunbookUrl("fawkes.example.org", "orders")).toBe("https://backstage.fawkes.example.org/docs/default/component/orders/runbook/");

    const monitor = render("servicemonitor.yaml");
    const service = render("service.yaml");
    expect(monitor.spec.selector.matchLabels).toEqual(service.metadata.labels);
    expect(service.spec.ports.map((p: any) => p.name)).toContain(monitor.spec.endpoints[0].port);
    const kustomization = parseYaml(fs.readFileSync(path.join(BASE, "kustomization.yaml"), "utf8"));
    expect(kustomization.resources).toEqual(expect.arrayContaining(["servicemonitor.yaml", "prometheusrule.yaml"]));
    const allowed = TEAM_NAMESPACED_KINDS.filter((k) => k.group === "monitoring.coreos.com").map((k) => k.kind);
    expect(allowed).toEqual(expect.arrayContaining(["ServiceMonitor", "PrometheusRule"]));
  });
});
