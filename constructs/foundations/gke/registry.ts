import { ArtifactRegistryRepository } from "@cdktf/provider-google/lib/artifact-registry-repository";
import { ArtifactRegistryRepositoryIamMember } from "@cdktf/provider-google/lib/artifact-registry-repository-iam-member";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";
import type { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { RegistryCapability } from "../../context";
import { KEY_ROTATION_PERIOD } from "./cluster";

/** Untagged images (superseded builds) are deleted after this long (14 days). */
const UNTAGGED_MAX_AGE = `${14 * 24 * 3600}s`;

export interface ArtifactRegistryProps {
  /** The platform's resource prefix: the repository's id, so images are `<host>/<project>/<name>/<service>`. */
  readonly name: string;
  readonly project: string;
  readonly projectNumber: string;
  readonly region: string;
  /** The foundation's key ring: the repository's own key lives there. */
  readonly keyRing: KmsKeyRing;
  /** Member (`serviceAccount:…`) of the nodes' service account, which pulls. */
  readonly nodeMember: string;
  readonly keep: boolean;
  readonly dependsOn: ITerraformDependable[];
}

/**
 * One Artifact Registry Docker repository for the platform's services: immutable tags, encrypted
 * with a key of the foundation's ring (CMEK), scanned on push by Container Scanning (enabled on the
 * project), untagged images cleaned up. Nodes pull with their service account (reader on this
 * repository only); CI pushes with its workload identity (writer on this repository only).
 */
export class ArtifactRegistry extends Construct {
  readonly repository: ArtifactRegistryRepository;
  readonly capability: RegistryCapability;

  constructor(scope: Construct, id: string, props: ArtifactRegistryProps) {
    super(scope, id);
    const key = new KmsCryptoKey(this, "Key", {
      name: "artifact-registry",
      keyRing: props.keyRing.id,
      purpose: "ENCRYPT_DECRYPT",
      rotationPeriod: KEY_ROTATION_PERIOD,
      lifecycle: { preventDestroy: props.keep },
    });
    // Artifact Registry's service agent encrypts the repository's data with it.
    const keyUse = new KmsCryptoKeyIamMember(this, "KeyUse", {
      cryptoKeyId: key.id,
      role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      member: `serviceAccount:service-${props.projectNumber}@gcp-sa-artifactregistry.iam.gserviceaccount.com`,
    });
    this.repository = new ArtifactRegistryRepository(this, "Repository", {
      project: props.project,
      location: props.region,
      repositoryId: props.name,
      description: `Fawkes ${props.name}: images the pipeline pushes`,
      format: "DOCKER",
      mode: "STANDARD_REPOSITORY",
      dockerConfig: { immutableTags: true },
      kmsKeyName: key.id,
      // Scanned on push when the Container Scanning API is on, which the foundation enables.
      vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
      cleanupPolicyDryRun: false,
      cleanupPolicies: [{ id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: UNTAGGED_MAX_AGE } }],
      labels: { "fawkes-platform": props.name },
      lifecycle: { preventDestroy: props.keep },
      dependsOn: [...props.dependsOn, keyUse],
    });
    const pull = new ArtifactRegistryRepositoryIamMember(this, "NodePull", {
      project: props.project,
      location: props.region,
      repository: this.repository.name,
      role: "roles/artifactregistry.reader",
      member: props.nodeMember,
    });
    const host = `${props.region}-docker.pkg.dev`;
    const pushUrl = `${host}/${props.project}/${props.name}`;
    this.capability = {
      pushUrl,
      pullUrl: pushUrl,
      // kaniko ships docker-credential-gcr: it takes the pod's workload identity from the metadata server.
      dockerConfig: { credHelpers: { [host]: "gcr" } },
      kanikoFlags: [],
      pushEnv: {},
      scanOnPush: "Artifact Analysis container scanning on push (OS and language packages)",
      immutableTags: true,
      ready: [this.repository, pull],
    };
  }

  /** What `{ registry: "push" }` grants: writer (push and pull) on this repository only. */
  pushGrant(scope: Construct, id: string, member: string): ITerraformDependable[] {
    return [
      new ArtifactRegistryRepositoryIamMember(scope, id, {
        project: this.repository.project,
        location: this.repository.location,
        repository: this.repository.name,
        role: "roles/artifactregistry.writer",
        member,
      }),
      this.repository,
    ];
  }
}
