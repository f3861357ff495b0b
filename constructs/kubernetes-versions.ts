/**
 * Which Kubernetes minor versions each managed cloud offers, and until when, from the clouds'
 * published calendars. The config schema rejects a minor no cloud offers; each stack refuses a minor
 * its cloud does not offer and warns when it leaves standard support within WARN_DAYS.
 *
 * Why "standard support" is the whole window on every cloud, with our foundations:
 * - EKS: the cluster is created with `upgradePolicy.supportType: STANDARD` (no extended-support
 *   charges), so past the end of standard support EKS upgrades it on its own.
 * - AKS: past "End of life" a minor is only available as LTS (Premium tier), which we do not use,
 *   and AKS refuses to create a cluster on it.
 * - GKE: `releaseChannel` is RAPID/REGULAR/STABLE (never EXTENDED), so a minor past the end of
 *   standard support is no longer offered for new clusters.
 *
 * Update this table when a cloud publishes a new minor (about every four months); the tests pin
 * the default against it.
 */

export type ManagedCloud = "aws" | "azure" | "gcp";

/** Days before the end of standard support from which synth warns. */
const WARN_DAYS = 90;

/** One minor on one cloud: generally available from `since`, in standard support until `until` (exclusive). */
interface Window {
  readonly since: string;
  readonly until: string;
}

/**
 * EKS: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar
 * (release date and end of standard support as listed). Policy: standard support is 14 months from
 * the EKS release. 1.36 is not in the stored copy of the calendar: its dates are derived (EKS has
 * shipped each minor 5-6 weeks after upstream, which released 1.36 on 2026-04-22; + 14 months).
 */
const EKS: Record<string, Window> = {
  "1.30": { since: "2024-05-23", until: "2025-07-23" },
  "1.31": { since: "2024-09-26", until: "2025-11-26" },
  "1.32": { since: "2025-01-23", until: "2026-03-23" },
  "1.33": { since: "2025-05-29", until: "2026-07-29" },
  "1.34": { since: "2025-10-02", until: "2026-12-02" },
  "1.35": { since: "2026-01-27", until: "2027-03-27" },
  "1.36": { since: "2026-06-10", until: "2027-08-10" }, // derived, see above
};

/**
 * AKS: https://learn.microsoft.com/azure/aks/supported-kubernetes-versions#aks-kubernetes-release-calendar
 * ("AKS GA" and "End of life" columns). The calendar gives months only: `since` is the first day
 * after the GA month ends and `until` the first day of the end-of-life month, so we never claim a
 * day AKS might not give. Policy: 12 months from GA. 1.36's GA month is the calendar's plan, and
 * its end of life is derived from the policy.
 */
const AKS: Record<string, Window> = {
  "1.30": { since: "2024-08-01", until: "2025-07-01" },
  "1.31": { since: "2024-11-01", until: "2025-10-01" },
  "1.32": { since: "2025-05-01", until: "2026-03-01" },
  "1.33": { since: "2025-07-01", until: "2026-06-01" },
  "1.34": { since: "2025-12-01", until: "2026-11-01" },
  "1.35": { since: "2026-04-01", until: "2027-03-01" },
  "1.36": { since: "2026-07-01", until: "2027-06-01" }, // planned GA Jun 2026; end of life derived
};

/**
 * GKE: https://cloud.google.com/kubernetes-engine/docs/release-schedule (Regular channel
 * "Available" and "End of standard support"). Policy (https://cloud.google.com/kubernetes-engine/versioning):
 * about 14 months of standard support from availability in the Regular channel, the channel
 * Fawkes defaults to. The schedule's dates are estimates; for 1.35 and 1.36 the stored copy lists
 * availability only (release notes show both in Regular by mid-2026), and the end of standard
 * support is derived from the policy.
 */
const GKE: Record<string, Window> = {
  "1.30": { since: "2024-07-30", until: "2025-09-30" },
  "1.31": { since: "2024-10-15", until: "2025-12-15" },
  "1.32": { since: "2025-02-18", until: "2026-04-18" },
  "1.33": { since: "2025-07-08", until: "2026-09-08" },
  "1.34": { since: "2025-11-11", until: "2027-01-11" },
  "1.35": { since: "2026-03-03", until: "2027-05-03" }, // end derived
  "1.36": { since: "2026-07-07", until: "2027-09-07" }, // end derived
};

const CALENDARS: Record<ManagedCloud, Record<string, Window>> = { aws: EKS, azure: AKS, gcp: GKE };
const CLOUD_NAMES: Record<ManagedCloud, string> = { aws: "EKS", azure: "AKS", gcp: "GKE" };

/** Every minor some cloud's calendar lists, oldest first. */
export const KUBERNETES_MINORS: readonly string[] = [...new Set(Object.values(CALENDARS).flatMap((c) => Object.keys(c)))].sort(
  (a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]),
);

export type SupportStatus =
  | { readonly state: "unknown" }
  | { readonly state: "not-yet"; readonly since: string }
  | { readonly state: "standard"; readonly until: string; readonly daysLeft: number }
  | { readonly state: "ended"; readonly until: string };

const DAY = 24 * 60 * 60 * 1000;
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

/** Where `minor` stands on `cloud` on `today`: not listed, not offered yet, in standard support, or past it. */
export function supportStatus(cloud: ManagedCloud, minor: string, today: Date = calendarToday()): SupportStatus {
  const w = CALENDARS[cloud][minor];
  if (!w) return { state: "unknown" };
  const now = today.getTime();
  if (now < day(w.since)) return { state: "not-yet", since: w.since };
  if (now >= day(w.until)) return { state: "ended", until: w.until };
  return { state: "standard", until: w.until, daysLeft: Math.floor((day(w.until) - now) / DAY) };
}

/** Minors in standard support on `cloud` on `today`. */
export function offeredMinors(cloud: ManagedCloud, today: Date = calendarToday()): string[] {
  return KUBERNETES_MINORS.filter((m) => supportStatus(cloud, m, today).state === "standard");
}

/**
 * The default: in standard support on every cloud on `today`, with the most days left on the cloud
 * where it ends first. Undefined if no minor is (the table needs an update).
 */
export function recommendedMinor(today: Date = calendarToday()): string | undefined {
  let best: { minor: string; left: number } | undefined;
  for (const minor of KUBERNETES_MINORS) {
    const left = Math.min(
      ...(Object.keys(CALENDARS) as ManagedCloud[]).map((c) => {
        const s = supportStatus(c, minor, today);
        return s.state === "standard" ? s.daysLeft : -1;
      }),
    );
    if (left >= 0 && (!best || left > best.left)) best = { minor, left };
  }
  return best?.minor;
}

/**
 * Whether some cloud offers `minor` on `today`, else why not (for the schema: a minor no cloud
 * offers yet, or that is past standard support everywhere, is an error before any stack is built).
 */
export function offeredAnywhere(minor: string, today: Date = calendarToday()): string | undefined {
  const states = (Object.keys(CALENDARS) as ManagedCloud[]).map((c) => supportStatus(c, minor, today).state);
  if (states.includes("standard")) return undefined;
  if (states.includes("not-yet") || states.every((s) => s === "unknown")) {
    return `a minor EKS, AKS or GKE offers today (${offered(today)}); ${minor} is not offered by any of them yet`;
  }
  return `a minor in standard support today (${offered(today)}); ${minor} is past the end of standard support on EKS, AKS and GKE`;
}

function offered(today: Date): string {
  return KUBERNETES_MINORS.filter((m) => (Object.keys(CALENDARS) as ManagedCloud[]).some((c) => supportStatus(c, m, today).state === "standard")).join(", ");
}

/**
 * What synth says about `minor` on `cloud`: throws when the cloud does not offer it (the apply
 * would fail, or the cluster be force-upgraded), and returns a warning when standard support ends
 * within WARN_DAYS. `where` names the setting in messages, e.g. `fawkes.yaml: kubernetes.version`.
 */
export function kubernetesVersionWarnings(cloud: ManagedCloud, minor: string, today: Date = calendarToday(), where = "kubernetes.version"): string[] {
  const name = CLOUD_NAMES[cloud];
  const s = supportStatus(cloud, minor, today);
  const choices = offeredMinors(cloud, today).join(", ") || "none listed: update constructs/kubernetes-versions.ts";
  if (s.state === "unknown")
    throw new Error(`${where}: must be a minor ${name} offers (${choices}); its release calendar (constructs/kubernetes-versions.ts) has no ${minor}`);
  if (s.state === "not-yet") throw new Error(`${where}: must be a minor ${name} offers (${choices}); ${name} offers ${minor} from ${s.since}, got "${minor}"`);
  if (s.state === "ended") {
    throw new Error(
      `${where}: must be a minor ${name} offers (${choices}); ${minor} left ${name} standard support on ${s.until}, so ${name} refuses or force-upgrades it, got "${minor}"`,
    );
  }
  if (s.daysLeft > WARN_DAYS) return [];
  return [
    `${where}: Kubernetes ${minor} leaves ${name} standard support on ${s.until}, in ${s.daysLeft} day${s.daysLeft === 1 ? "" : "s"}: plan the upgrade (${name} offers ${choices})`,
  ];
}

/**
 * The embedded default for `kubernetes.version`: recommendedMinor() on 2026-12-01 (in standard
 * support on EKS, AKS and GKE, and the most time left where it ends first: June 2027 on AKS).
 * A constant, so the defaults (and fawkes.example.yaml) do not change with the clock; a test
 * fails when the calendar says another minor would be better.
 */
export const DEFAULT_KUBERNETES_VERSION = "1.36";

/**
 * The date the calendars are read on: today, or `FAWKES_TODAY` (an ISO date) so that a synth, and
 * the test suite, give the same answer on every day (jest.config.js pins it).
 */
export function calendarToday(env: NodeJS.ProcessEnv = process.env): Date {
  const pinned = env.FAWKES_TODAY;
  if (!pinned) return new Date();
  const d = new Date(pinned);
  if (Number.isNaN(d.getTime())) throw new Error(`FAWKES_TODAY must be an ISO date such as 2026-12-01, got "${pinned}"`);
  return d;
}
