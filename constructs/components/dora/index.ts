import type { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import type { Component, ComponentOutput, Installed } from "../../platform";

export interface DoraProps {
  /** Teams: one DevLake project per team. @default [] */
  readonly teams?: readonly string[];
}

/** DORA metrics with Apache DevLake. Skeleton: the DORA issue fills it in. */
export class DoraComponent implements Component {
  readonly id = "dora";
  readonly needs = ["ingress", "tls", "observability"];
  readonly uses = ["secrets", "identity", "git", "jenkins"];
  readonly info: Component["info"];

  constructor(readonly props: DoraProps = {}) {
    this.info = {
      title: "DevLake (DORA metrics)",
      description: "Delivery metrics: the four keys and flow per team and service, from Git, CI, Argo CD and incidents",
      subdomain: "dora",
      docs: "https://devlake.apache.org/docs/Overview/Introduction",
      lifecycle: "experimental",
    };
  }

  install(_scope: Construct, _ctx: PlatformContext, _deps: Installed): ComponentOutput {
    return { ready: [] };
  }
}
