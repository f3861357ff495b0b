import { Testing } from "cdktf";
import {
  calendarToday,
  DEFAULT_KUBERNETES_VERSION,
  KUBERNETES_MINORS,
  kubernetesVersionWarnings,
  offeredMinors,
  recommendedMinor,
  supportStatus,
  type ManagedCloud,
} from "../constructs/kubernetes-versions";
import { STACKS } from "../stacks/app";
import { parseConfig } from "../stacks/config/load";
import { FRONT_DOOR_ONLY } from "./support";

const TODAY = new Date("2026-12-01T00:00:00Z");
const CLOUDS: ManagedCloud[] = ["aws", "azure", "gcp"];

describe("Kubernetes versions (defect 4)", () => {
  test("the old default 1.33 is past standard support on EKS, AKS and GKE today", () => {
    for (const cloud of CLOUDS) expect(supportStatus(cloud, "1.33", TODAY).state).toBe("ended");
  });

  test("the default is in standard support on every cloud, with the most time left, and more than 90 days of it", () => {
    expect(recommendedMinor(TODAY)).toBe(DEFAULT_KUBERNETES_VERSION);
    expect(parseConfig({}, "defaults", TODAY).kubernetes.version).toBe(DEFAULT_KUBERNETES_VERSION);
    for (const cloud of CLOUDS) {
      const s = supportStatus(cloud, DEFAULT_KUBERNETES_VERSION, TODAY);
      expect(s).toMatchObject({ state: "standard" });
      expect(s.state === "standard" && s.daysLeft).toBeGreaterThan(90);
      expect(kubernetesVersionWarnings(cloud, DEFAULT_KUBERNETES_VERSION, TODAY)).toEqual([]);
    }
  });

  test("statuses: not offered yet, in standard support, past it, unknown", () => {
    expect(supportStatus("aws", "1.36", new Date("2026-01-01T00:00:00Z")).state).toBe("not-yet");
    expect(supportStatus("aws", "1.34", TODAY)).toEqual({ state: "standard", until: "2026-12-02", daysLeft: 1 });
    expect(supportStatus("azure", "1.34", TODAY).state).toBe("ended");
    expect(supportStatus("gcp", "1.39", TODAY).state).toBe("unknown");
    expect(offeredMinors("aws", TODAY)).toEqual(["1.34", "1.35", "1.36"]);
    expect(KUBERNETES_MINORS).toEqual([...KUBERNETES_MINORS].sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1])));
  });

  test("a minor leaving standard support within 90 days warns, on that cloud only", () => {
    expect(kubernetesVersionWarnings("aws", "1.34", TODAY)).toEqual([
      "kubernetes.version: Kubernetes 1.34 leaves EKS standard support on 2026-12-02, in 1 day: plan the upgrade (EKS offers 1.34, 1.35, 1.36)",
    ]);
    expect(kubernetesVersionWarnings("azure", "1.35", TODAY)).toHaveLength(1); // AKS end of life March 2027: exactly 90 days
    expect(kubernetesVersionWarnings("aws", "1.35", TODAY)).toEqual([]);
  });

  test("a minor the cloud does not offer is an error naming the setting", () => {
    expect(() => kubernetesVersionWarnings("azure", "1.34", TODAY, "fawkes.yaml: kubernetes.version")).toThrow(
      'fawkes.yaml: kubernetes.version: must be a minor AKS offers (1.35, 1.36); 1.34 left AKS standard support on 2026-11-01, so AKS refuses or force-upgrades it, got "1.34"',
    );
    expect(() => kubernetesVersionWarnings("aws", "1.36", new Date("2026-03-01T00:00:00Z"))).toThrow("EKS offers 1.36 from 2026-06-10");
  });
});

describe("Kubernetes versions at synth", () => {
  // The stacks read the clock (new Date()); fake only Date, so the check sees 2026-12-01.
  beforeAll(() =>
    jest.useFakeTimers({
      now: TODAY,
      doNotFake: ["nextTick", "setImmediate", "setTimeout", "setInterval", "clearTimeout", "clearInterval", "queueMicrotask", "hrtime", "performance"],
    }),
  );
  afterAll(() => jest.useRealTimers());
  const config = parseConfig({ kubernetes: { version: "1.34" }, components: FRONT_DOOR_ONLY }, "fawkes.yaml", TODAY);

  test("AKS refuses a minor past its end of life: synth fails naming the file and kubernetes.version", () => {
    expect(() => new STACKS["fawkes-azure"](Testing.app(), "fawkes-azure", config)).toThrow(/^fawkes\.yaml: kubernetes\.version: must be a minor AKS offers/);
  });

  test("EKS warns when the minor leaves standard support within 90 days", () => {
    const stack = new STACKS["fawkes-aws"](Testing.app(), "fawkes-aws", config);
    const warnings = stack.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    expect(warnings).toContain(
      "fawkes.yaml: kubernetes.version: Kubernetes 1.34 leaves EKS standard support on 2026-12-02, in 1 day: plan the upgrade (EKS offers 1.34, 1.35, 1.36)",
    );
  });

  test("the local stack does not check: the cluster exists already", () => {
    expect(() => new STACKS["fawkes-local"](Testing.app(), "fawkes-local", config)).not.toThrow();
  });
});

describe("calendarToday", () => {
  test("is today unless FAWKES_TODAY pins it (the suite pins it in jest.config.js)", () => {
    expect(calendarToday({}).getTime()).toBeGreaterThan(Date.parse("2026-01-01"));
    expect(calendarToday({ FAWKES_TODAY: "2027-03-01" }).toISOString()).toBe("2027-03-01T00:00:00.000Z");
    expect(() => calendarToday({ FAWKES_TODAY: "soon" })).toThrow(/FAWKES_TODAY must be an ISO date .*"soon"/);
  });
});
