/**
 * DevLake's configuration Job (constructs/components/dora/config/devlake.js) against a fake DevLake
 * REST API: the exact calls for a config, no write on a second run, bounded retries when DevLake is
 * not ready, and service discovery in Gitea.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { doraDashboardJson, KEY_QUERIES, TREND_QUERIES } from "../constructs/components/dora/dashboards/fawkes-dora";
import { applyConfigMaps, dashboardConfigMaps, DATASOURCE_ANNOTATION, restartPatch } from "../constructs/components/dora/config/grafana";
import { backoff, configure, discoverServices, teamsCsv, usersCsv, waitReady, webhookName, API_KEY_PATH } from "../constructs/components/dora/config/devlake";

type Call = { method: string; path: string; body?: unknown };

/** A DevLake with connections, projects (each created with its blueprint), API keys and the org CSVs, in memory. */
class FakeDevLake {
  calls: Call[] = [];
  pingFailures = 0;
  hooks: { id: number; name: string }[] = [];
  jenkins: Record<string, unknown>[] = [];
  keys: { id: number; name: string; apiKey: string; allowedPath: string }[] = [];
  projects = new Map<string, { name: string; description: string; metrics: { pluginName: string; enable: boolean }[]; blueprint: Record<string, unknown> }>();
  csv: Record<string, string> = { teams: "Id,Name,Alias,ParentId,SortingIndex\n", users: "Id,Name,Email,TeamIds\n" };
  private nextId = 1;

  private record(method: string, path: string, body?: unknown) {
    this.calls.push(body === undefined ? { method, path } : { method, path, body });
  }
  writes(): Call[] {
    return this.calls.filter((c) => c.method !== "GET");
  }

  api = {
    get: async (path: string) => {
      this.record("GET", path);
      if (path === "/ping") {
        if (this.pingFailures > 0) {
          this.pingFailures--;
          throw new Error("connect ECONNREFUSED");
        }
        return { status: 200, body: "" };
      }
      if (path.startsWith("/api-keys")) return { status: 200, body: { apikeys: this.keys, count: this.keys.length } };
      if (path === "/plugins/webhook/connections") return { status: 200, body: this.hooks };
      if (path === "/plugins/jenkins/connections") return { status: 200, body: this.jenkins };
      if (path.startsWith("/projects?")) return { status: 200, body: { projects: [...this.projects.values()], count: this.projects.size } };
      const p = /^\/projects\/(.+)$/.exec(path);
      if (p) {
        const project = this.projects.get(decodeURIComponent(p[1]));
        return project ? { status: 200, body: structuredClone(project) } : { status: 404, body: { message: "not found" } };
      }
      return { status: 404, body: { message: `no route ${path}` } };
    },
    getText: async (path: string) => {
      this.record("GET", path);
      const kind = /^\/plugins\/org\/(teams|users)\.csv/.exec(path)?.[1];
      return kind ? { status: 200, text: this.csv[kind].replace(/\n/g, "\r\n") } : { status: 404, text: "" };
    },
    post: async (path: string, body: any): Promise<{ status: number; body: any }> => {
      this.record("POST", path, body);
      const id = this.nextId++;
      if (path === "/api-keys") {
        const key = { id, name: body.name, apiKey: `key-${id}`, allowedPath: body.allowedPath };
        this.keys.push(key);
        return { status: 201, body: key };
      }
      if (path === "/plugins/webhook/connections") {
        this.hooks.push({ id, name: body.name });
        return { status: 200, body: { id, name: body.name } };
      }
      if (path === "/plugins/jenkins/connections") {
        this.jenkins.push({ id, ...body, password: undefined });
        return { status: 200, body: { id } };
      }
      if (path === "/projects") {
        this.projects.set(body.name, { ...body, blueprint: { id: 100 + id, enable: true, isManual: false, cronConfig: "0 0 * * *", connections: [] } });
        return { status: 201, body: this.projects.get(body.name) };
      }
      return { status: 404, body: {} };
    },
    patch: async (path: string, body: any) => {
      this.record("PATCH", path, body);
      const bp = /^\/blueprints\/(\d+)$/.exec(path);
      if (bp) {
        const project = [...this.projects.values()].find((p) => p.blueprint.id === Number(bp[1]));
        if (!project) return { status: 404, body: {} };
        project.blueprint = { ...project.blueprint, ...body };
        return { status: 200, body: project.blueprint };
      }
      return { status: 200, body: {} };
    },
    put: async (path: string, body: any) => {
      this.record("PUT", path, body);
      const key = this.keys.find((k) => path === `/api-keys/${k.id}`);
      if (!key) return { status: 404, body: {} };
      key.apiKey = `renewed-${key.id}`;
      return { status: 200, body: key };
    },
    putCsv: async (path: string, csv: string) => {
      this.record("PUT", path, csv);
      this.csv[/(teams|users)\.csv/.exec(path)![1]] = csv;
      return { status: 200, body: {} };
    },
  };
}

function keyStore(initial?: string) {
  const store = { value: initial, writes: 0 };
  return {
    store,
    keys: {
      read: async () => store.value,
      write: async (v: string) => {
        store.value = v;
        store.writes++;
      },
    },
  };
}

const desired = {
  teams: [
    { name: "payments", members: ["alice", "bob"] },
    { name: "search", members: ["bob"] },
  ],
  services: [
    { name: "orders", team: "payments" },
    { name: "ledger", team: "payments" },
    { name: "finder", team: "search" },
  ],
  cron: "*/30 * * * *",
  apiKeyName: "fawkes-relay",
};
const fast = { sleep: async () => {}, attempts: 3 };

describe("DevLake configuration", () => {
  it("makes exactly the calls a new DevLake needs, in order", async () => {
    const lake = new FakeDevLake();
    const { keys, store } = keyStore();
    await configure(lake.api, desired, keys, fast);
    const writes = lake.writes().map((c) => `${c.method} ${c.path}`);
    expect(writes).toEqual([
      "POST /api-keys",
      "POST /plugins/webhook/connections",
      "POST /plugins/webhook/connections",
      "POST /plugins/webhook/connections",
      "POST /projects",
      "PATCH /blueprints/105",
      "POST /projects",
      "PATCH /blueprints/106",
      "PUT /plugins/org/teams.csv",
      "PUT /plugins/org/users.csv",
    ]);
    // The relay's key: minted once, limited to the webhook plugin, stored in the secret.
    expect(lake.calls.find((c) => c.path === "/api-keys" && c.method === "POST")?.body).toMatchObject({ name: "fawkes-relay", allowedPath: API_KEY_PATH });
    expect(store.value).toBe("key-1");
    // Webhook connections are named after the services (the relay finds them by name), sorted.
    expect(lake.hooks.map((h) => h.name)).toEqual(["fawkes-finder", "fawkes-ledger", "fawkes-orders"]);
    // One project per team, DORA on, blueprint scoped to the team's webhook connections on the schedule.
    expect(lake.calls.find((c) => c.path === "/projects")?.body).toMatchObject({ name: "payments", metrics: [{ pluginName: "dora", enable: true }] });
    const payments = lake.projects.get("payments")!;
    expect(payments.blueprint).toMatchObject({ cronConfig: "*/30 * * * *", enable: true, isManual: false });
    expect((payments.blueprint.connections as { connectionId: number }[]).map((c) => c.connectionId).sort()).toEqual(
      lake.hooks
        .filter((h) => ["fawkes-orders", "fawkes-ledger"].includes(h.name))
        .map((h) => h.id)
        .sort(),
    );
    expect(lake.projects.get("search")!.blueprint.connections).toEqual([
      { pluginName: "webhook", connectionId: lake.hooks.find((h) => h.name === "fawkes-finder")!.id, scopes: [] },
    ]);
    expect(lake.csv.users).toBe("Id,Name,Email,TeamIds\nalice,alice,,payments\nbob,bob,,payments;search\n");
  });

  it("makes no write call on a second run", async () => {
    const lake = new FakeDevLake();
    const { keys, store } = keyStore();
    expect((await configure(lake.api, desired, keys, fast)).length).toBeGreaterThan(0);
    lake.calls = [];
    expect(await configure(lake.api, desired, keys, fast)).toEqual([]);
    expect(lake.writes()).toEqual([]);
    expect(store.writes).toBe(1);
  });

  it("adds only what a new service needs", async () => {
    const lake = new FakeDevLake();
    const { keys } = keyStore();
    await configure(lake.api, desired, keys, fast);
    lake.calls = [];
    await configure(lake.api, { ...desired, services: [...desired.services, { name: "refunds", team: "payments" }] }, keys, fast);
    expect(lake.writes().map((c) => `${c.method} ${c.path}`)).toEqual(["POST /plugins/webhook/connections", "PATCH /blueprints/105"]);
  });

  it("regenerates the key when the secret lost it, and keeps it otherwise", async () => {
    const lake = new FakeDevLake();
    const first = keyStore();
    await configure(lake.api, desired, first.keys, fast);
    const empty = keyStore();
    lake.calls = [];
    await configure(lake.api, desired, empty.keys, fast);
    expect(lake.writes().map((c) => `${c.method} ${c.path}`)).toEqual(["PUT /api-keys/1"]);
    expect(empty.store.value).toBe("renewed-1");
  });

  it("creates the Jenkins connection only when a credential is given, once", async () => {
    const lake = new FakeDevLake();
    const { keys } = keyStore("k");
    const withJenkins = { ...desired, jenkins: { endpoint: "http://jenkins.jenkins:8080/", username: "devlake", password: "t" } };
    await configure(lake.api, desired, keys, fast);
    expect(lake.calls.some((c) => c.path.startsWith("/plugins/jenkins"))).toBe(false);
    await configure(lake.api, withJenkins, keys, fast);
    lake.calls = [];
    await configure(lake.api, withJenkins, keys, fast);
    expect(lake.writes()).toEqual([]);
    expect(lake.jenkins).toHaveLength(1);
  });

  it("re-enables DORA on a project someone switched it off on", async () => {
    const lake = new FakeDevLake();
    const { keys } = keyStore();
    await configure(lake.api, desired, keys, fast);
    lake.projects.get("search")!.metrics = [{ pluginName: "dora", enable: false }];
    lake.calls = [];
    await configure(lake.api, desired, keys, fast);
    expect(lake.writes().map((c) => `${c.method} ${c.path}`)).toEqual(["PATCH /projects/search"]);
  });

  it("waits for DevLake with backoff, then gives a clear error", async () => {
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
    };
    const lake = new FakeDevLake();
    lake.pingFailures = 2;
    await waitReady(lake.api, { sleep, attempts: 5, baseDelayMs: 100, maxDelayMs: 250 });
    expect(slept).toEqual([100, 200]);

    const down = new FakeDevLake();
    down.pingFailures = 1000;
    const { keys } = keyStore();
    await expect(configure(down.api, desired, keys, { sleep, attempts: 4, baseDelayMs: 1, maxDelayMs: 1 })).rejects.toThrow(
      /DevLake did not become ready after 4 attempts \(last: connect ECONNREFUSED\)/,
    );
    expect(down.writes()).toEqual([]);
    expect(backoff(6, 1000, 5000)).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it("fails with DevLake's answer when a write is refused", async () => {
    const lake = new FakeDevLake();
    lake.api.post = async () => ({ status: 400, body: { message: "bad name" } });
    const { keys } = keyStore();
    await expect(configure(lake.api, desired, keys, fast)).rejects.toThrow(/DevLake creating the API key failed: HTTP 400 .*bad name/);
  });

  it("writes the org plugin's CSVs with stable ids", () => {
    expect(teamsCsv(desired.teams)).toBe("Id,Name,Alias,ParentId,SortingIndex\npayments,payments,payments,,1\nsearch,search,search,,2\n");
    expect(usersCsv([])).toBe("Id,Name,Email,TeamIds\n");
    expect(webhookName("orders")).toBe("fawkes-orders");
  });
});

describe("service discovery in Gitea", () => {
  it("lists every team repository with the golden path's deploy layout", async () => {
    const repos: Record<string, string[]> = { payments: ["orders", "notes"], search: ["finder"] };
    const deployable = new Set(["payments/orders", "search/finder"]);
    const get = async (path: string) => {
      const list = /^\/orgs\/([^/]+)\/repos/.exec(path);
      if (list)
        return repos[list[1]]
          ? { status: 200, body: repos[list[1]].map((name) => ({ name, html_url: `https://git.fawkes.test/${list[1]}/${name}` })) }
          : { status: 404, body: "" };
      const probe = /^\/repos\/([^/]+)\/([^/]+)\/contents\/deploy\/staging\/kustomization\.yaml$/.exec(path);
      return { status: probe && deployable.has(`${probe[1]}/${probe[2]}`) ? 200 : 404, body: {} };
    };
    expect(await discoverServices(get, ["payments", "search", "nobody"])).toEqual([
      { name: "orders", team: "payments", repository: "https://git.fawkes.test/payments/orders" },
      { name: "finder", team: "search", repository: "https://git.fawkes.test/search/finder" },
    ]);
  });
});

describe("DevLake's dashboards in the platform Grafana", () => {
  const opts = { namespace: "dora", folder: "DevLake", label: { grafana_dashboard: "1" }, folderAnnotation: "grafana_folder" };
  const files = [
    { file: "DORA.json", content: '{"title":"DORA"}' },
    { file: "DORADetails-LeadTimeforChanges.json", content: '{"title":"Lead time"}' },
    { file: "Jira.json", content: '{"title":"Jira"}' },
    { file: "EngineeringThroughputAndCycleTime.json", content: "{}" },
  ];

  it("keeps the delivery dashboards, one labelled ConfigMap each, filed in the folder", () => {
    const maps = dashboardConfigMaps(files, opts);
    expect(maps.map((m) => m.metadata.name)).toEqual([
      "devlake-dashboard-dora",
      "devlake-dashboard-doradetails-lead-timefor-changes",
      "devlake-dashboard-engineering-throughput-and-cycle-time",
    ]);
    expect(maps[0]).toMatchObject({
      metadata: { labels: { grafana_dashboard: "1" }, annotations: { grafana_folder: "DevLake" } },
      data: { "DORA.json": '{"title":"DORA"}' },
    });
    expect(maps.every((m) => m.metadata.name.length <= 63)).toBe(true);
    expect(() => dashboardConfigMaps([{ file: "DORA.json", content: "<html>" }], opts)).toThrow(/dashboard DORA.json must be JSON/);
  });

  it("writes only ConfigMaps that differ", async () => {
    const store = new Map<string, any>();
    const calls: string[] = [];
    const kube = async (method: string, path: string, body?: any) => {
      calls.push(`${method} ${path}`);
      if (method === "GET") return store.has(path) ? { status: 200, body: store.get(path) } : { status: 404, body: {} };
      const name = body.metadata.name;
      store.set(`/api/v1/namespaces/dora/configmaps/${name}`, { ...body, metadata: { ...body.metadata, resourceVersion: "1" } });
      return { status: method === "POST" ? 201 : 200, body };
    };
    const maps = dashboardConfigMaps(files, opts);
    expect(await applyConfigMaps(kube, maps)).toHaveLength(3);
    expect(await applyConfigMaps(kube, maps)).toEqual([]);
    const changed = dashboardConfigMaps([{ file: "DORA.json", content: '{"title":"DORA v2"}' }], opts);
    calls.length = 0;
    expect(await applyConfigMaps(kube, changed)).toEqual(["devlake-dashboard-dora"]);
    expect(calls).toEqual(["GET /api/v1/namespaces/dora/configmaps/devlake-dashboard-dora", "PUT /api/v1/namespaces/dora/configmaps/devlake-dashboard-dora"]);
  });

  it("restarts Grafana only for a datasource it has not read yet", () => {
    const deployment = { spec: { template: { metadata: { annotations: { [DATASOURCE_ANNOTATION]: "abc" } } } } };
    expect(restartPatch(deployment, "abc")).toBeUndefined();
    expect(restartPatch(deployment, "def")).toEqual({ spec: { template: { metadata: { annotations: { [DATASOURCE_ANNOTATION]: "def" } } } } });
    expect(restartPatch({ spec: { template: { metadata: {} } } }, "def")).toBeDefined();
  });
});

/**
 * The overview dashboard's SQL against DevLake's domain layer. The tables and columns below are the
 * ones the queries use, as DevLake v1.0's domain-layer schema defines them (crossdomain, devops, code,
 * ticket). Statically: every table and `alias.column` a query names exists here. Live (opt-in,
 * `FAWKES_DORA_SQL=1` with Debian's mariadb-server installed: a throwaway server costs ~5 s, over
 * the test budget): the queries run against a seeded schema and give the expected keys and levels.
 */
const DEVLAKE_SCHEMA: Record<string, string[]> = {
  projects: ["name", "description", "created_at"],
  project_mapping: ["project_name", "table", "row_id"],
  cicd_deployment_commits: [
    "id",
    "cicd_deployment_id",
    "cicd_scope_id",
    "name",
    "result",
    "environment",
    "started_date",
    "finished_date",
    "commit_sha",
    "repo_url",
    "repo_id",
  ],
  incidents: ["id", "title", "url", "status", "created_date", "resolution_date", "lead_time_minutes", "scope_id", "table"],
  project_incident_deployment_relationships: ["id", "project_name", "deployment_id"],
  project_pr_metrics: [
    "id",
    "project_name",
    "pr_coding_time",
    "pr_pickup_time",
    "pr_review_time",
    "pr_deploy_time",
    "pr_cycle_time",
    "deployment_commit_id",
    "first_commit_sha",
  ],
  pull_requests: ["id", "title", "url", "author_name", "status", "created_date", "merged_date", "base_repo_id", "head_repo_id"],
  repos: ["id", "name", "url"],
};

const allQueries = (): [string, string][] => {
  const d = JSON.parse(doraDashboardJson());
  const panelQueries = d.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => [p.title, t.rawSql] as [string, string]));
  const variableQueries = d.templating.list.filter((v: any) => v.type === "query").map((v: any) => [`variable ${v.name}`, v.query] as [string, string]);
  return [...panelQueries, ...variableQueries];
};

describe("the overview dashboard's SQL", () => {
  test.each(allQueries())("%s: names only DevLake tables and columns", (_title, sql) => {
    const aliases = new Map<string, string>();
    for (const m of sql.matchAll(/\b(?:FROM|JOIN)\s+([a-z_]+)(?![.\w])(?:\s+(?!ON\b|WHERE\b|GROUP\b|LEFT\b|JOIN\b|ORDER\b)([a-z_]+))?/gi)) {
      const table = m[1];
      if (["SELECT"].includes(table.toUpperCase())) continue;
      expect(Object.keys(DEVLAKE_SCHEMA)).toContain(table);
      aliases.set(m[2] ?? table, table);
    }
    for (const m of sql.matchAll(/\b([a-z_]+)\.`?([a-z_]+)`?/g)) {
      const table = aliases.get(m[1]);
      if (table) expect(DEVLAKE_SCHEMA[table]).toContain(m[2]);
    }
  });

  const live = process.env.FAWKES_DORA_SQL === "1" ? test : test.skip;
  live("runs against a seeded MariaDB with the expected keys, levels and flow", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dora-sql-"));
    const sock = path.join(dir, "sock");
    const run = (cmd: string, args: string[], input?: string) => {
      const r = spawnSync(cmd, args, { input, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
      return r.stdout;
    };
    run("mariadb-install-db", ["--no-defaults", `--datadir=${dir}/data`, "--user=root", "--skip-test-db", "--auth-root-authentication-method=normal"]);
    const server = spawn(
      "mariadbd",
      ["--no-defaults", `--datadir=${dir}/data`, `--socket=${sock}`, "--skip-networking", "--user=root", "--skip-grant-tables"],
      { stdio: "ignore" },
    );
    try {
      const sql = (q: string) => run("mariadb", ["--no-defaults", `--socket=${sock}`, "--batch", "--skip-column-names", "lake"], q);
      for (let i = 0; i < 50 && !fs.existsSync(sock); i++) spawnSync("sleep", ["0.1"]);
      run("mariadb", ["--no-defaults", `--socket=${sock}`], "CREATE DATABASE lake;");
      const ddl = Object.entries(DEVLAKE_SCHEMA)
        .map(
          ([t, cols]) =>
            `CREATE TABLE ${t} (${cols.map((c) => `\`${c}\` ${/date/.test(c) ? "DATETIME" : /time$|minutes/.test(c) ? "BIGINT" : "VARCHAR(255)"}`).join(", ")});`,
        )
        .join("\n");
      // Team payments, service orders: 12 production deployments in 90 days (about one a week), one
      // caused an incident that took 3 hours; two merged PRs waiting longest in review.
      const deployments = Array.from(
        { length: 12 },
        (_, i) =>
          `('d${i}:orders', 'd${i}', 'webhook:1', 'SUCCESS', 'PRODUCTION', NOW() - INTERVAL ${i * 7 + 1} DAY, 'https://git.fawkes.test/payments/orders.git')`,
      );
      sql(`${ddl}
INSERT INTO projects (name) VALUES ('payments'), ('search');
INSERT INTO project_mapping VALUES ('payments', 'cicd_scopes', 'webhook:1'), ('payments', 'repos', 'repo:1');
INSERT INTO cicd_deployment_commits (id, cicd_deployment_id, cicd_scope_id, result, environment, finished_date, repo_url) VALUES ${deployments.join(", ")};
INSERT INTO incidents (id, created_date, resolution_date, lead_time_minutes) VALUES ('i1', NOW() - INTERVAL 2 DAY, NOW() - INTERVAL 2 DAY + INTERVAL 3 HOUR, 180);
INSERT INTO project_incident_deployment_relationships VALUES ('i1', 'payments', 'd1');
INSERT INTO repos VALUES ('repo:1', 'payments/orders', 'https://git.fawkes.test/payments/orders');
INSERT INTO pull_requests (id, title, url, author_name, merged_date, base_repo_id) VALUES ('pr1', 'Faster checkout', 'https://git.fawkes.test/payments/orders/pulls/1', 'alice', NOW() - INTERVAL 3 DAY, 'repo:1'), ('pr2', 'Fix totals', 'https://git.fawkes.test/payments/orders/pulls/2', 'bob', NOW() - INTERVAL 10 DAY, 'repo:1');
INSERT INTO project_pr_metrics (id, project_name, pr_coding_time, pr_pickup_time, pr_review_time, pr_deploy_time, pr_cycle_time) VALUES ('pr1', 'payments', 60, 120, 600, 30, 810), ('pr2', 'payments', 120, 60, 900, 60, 1140);`);
      const bind = (q: string, service = "'__all'") =>
        q
          .replace(/\$window/g, "90")
          .replace(/\$team/g, "'__all'")
          .replace(/\$service/g, service);
      const row = (q: string, service?: string) => sql(bind(q, service)).trim().split("\n")[0].split("\t");
      expect(row(KEY_QUERIES.deploymentFrequency)).toEqual(["0.93", "medium"]);
      expect(row(KEY_QUERIES.deploymentFrequency, "'orders'")).toEqual(["0.93", "medium"]);
      expect(row(KEY_QUERIES.deploymentFrequency, "'ledger'")).toEqual(["0.00", "low"]);
      expect(row(KEY_QUERIES.leadTime)).toEqual(["13.5", "elite"]);
      expect(row(KEY_QUERIES.changeFailureRate)).toEqual(["8.3", "high"]);
      expect(row(KEY_QUERIES.timeToRestore)).toEqual(["3.0", "high"]);
      expect(row(TREND_QUERIES.flowByTeam)).toEqual(["payments", "1.5", "1.5", "12.5", "0.8", "review"]);
      expect(sql(bind(TREND_QUERIES.pullRequests)).trim().split("\n")).toHaveLength(2);
      expect(sql(bind(TREND_QUERIES.deploymentsPerWeek)).trim().split("\n").length).toBeGreaterThanOrEqual(12);
      expect(row(TREND_QUERIES.teams)).toEqual(["payments", "12", "16.3"]);
      for (const [, q] of allQueries()) sql(bind(q));
    } finally {
      server.kill("SIGKILL");
      spawnSync("sleep", ["0.3"]);
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});
