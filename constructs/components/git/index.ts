import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import type { Component, ComponentOutput, Installed } from "../../platform";

export interface GitProps {
  /**
   * `gitea`: the built-in Gitea (works with no external account: laptops, the Dojo). `github`: an
   * existing GitHub organisation, through a GitHub App whose credentials are in the cloud secret store.
   * @default "gitea"
   */
  readonly provider?: "gitea" | "github";
  /** Teams (identity groups): each gets its own organisation in Gitea. @default [] */
  readonly teams?: readonly string[];
  /** The GitHub organisation and where its App's credentials live (provider `github` only). */
  readonly github?: { readonly organization: string; readonly app: { readonly key: string } };
}

/** Where repositories live: the git service of the golden path. Skeleton: the golden-path issue fills it in. */
export class GitComponent implements Component {
  readonly id = "git";
  readonly needs = ["ingress", "tls"];
  readonly uses = ["secrets", "identity", "observability"];
  readonly info: Component["info"];

  constructor(readonly props: GitProps = {}) {
    this.info = {
      title: "Gitea",
      description: "Git service: every team's repositories, the platform's templates and pipeline library, webhooks to CI",
      subdomain: "git",
      docs: "https://docs.gitea.com/",
      lifecycle: "production",
    };
  }

  install(_scope: Construct, _ctx: PlatformContext, _deps: Installed): ComponentOutput {
    return { ready: [] };
  }
}
