import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";

/** Google APIs the foundation calls. Enabling one that is already on is a no-op. */
export const REQUIRED_SERVICES = [
  "cloudresourcemanager.googleapis.com",
  "serviceusage.googleapis.com",
  "iam.googleapis.com",
  "iamcredentials.googleapis.com",
  "compute.googleapis.com",
  "container.googleapis.com",
  "cloudkms.googleapis.com",
  "servicenetworking.googleapis.com",
  "sqladmin.googleapis.com",
  "secretmanager.googleapis.com",
  "dns.googleapis.com",
  "storage.googleapis.com",
  "logging.googleapis.com",
  "monitoring.googleapis.com",
  // The image registry, and its scan on push.
  "artifactregistry.googleapis.com",
  "containerscanning.googleapis.com",
] as const;

export interface GkeProjectProps {
  readonly project: string;
}

/**
 * The project's APIs, enabled before anything uses them, and the project number (service agents
 * are named by it). Every other resource of the foundation waits for `ready`.
 */
export class GkeProject extends Construct {
  /** What every resource that calls a Google API waits for. */
  readonly ready: ITerraformDependable[];
  readonly services: ProjectService[];
  /** Project number, read after the APIs are on (it names the Google-managed service agents). */
  readonly number: string;

  constructor(scope: Construct, id: string, props: GkeProjectProps) {
    super(scope, id);
    this.services = REQUIRED_SERVICES.map(
      (service) =>
        new ProjectService(this, serviceId(service), {
          project: props.project,
          service,
          // Other things in the project may use these APIs: never switch them off on destroy.
          disableOnDestroy: false,
          disableDependentServices: false,
        }),
    );
    // Enabling an API returns before its service agents exist and its IAM settles; binding a role to
    // the GKE agent right away fails with "service account does not exist".
    const settle = new Sleep(this, "Propagation", { createDuration: "60s", dependsOn: this.services });
    this.ready = [settle];
    this.number = new DataGoogleProject(this, "Project", { projectId: props.project, dependsOn: this.ready }).number;
  }
}

/** `container.googleapis.com` -> `Container`: a stable construct id per API. */
function serviceId(service: string): string {
  const name = service.split(".")[0];
  return name[0].toUpperCase() + name.slice(1);
}
