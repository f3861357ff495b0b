import { Construct } from "constructs";
import type { Component } from "../constructs/platform";
import type { GitCredentialsRequest, GitService, GitWebhookRequest, PublishRequest } from "../constructs/services";

/** What consumers asked the fake git service for. */
export interface GitRequests {
  readonly credentials: GitCredentialsRequest[];
  readonly webhooks: GitWebhookRequest[];
  readonly published: PublishRequest[];
}

/**
 * Stands in for the git component (Gitea at git.fawkes.test, or the GitHub organisation `acme`),
 * offering the git service and recording every request, so a consumer's spec can assert on them.
 */
export function fakeGit(provider: "gitea" | "github" = "gitea"): Component & { requests: GitRequests } {
  const requests: GitRequests = { credentials: [], webhooks: [], published: [] };
  const url = provider === "gitea" ? "https://git.fawkes.test" : "https://github.com";
  const git: GitService = {
    provider,
    url,
    apiUrl: provider === "gitea" ? `${url}/api/v1` : "https://api.github.com",
    ...(provider === "gitea" ? { inClusterUrl: "http://gitea-http.git.svc:3000" } : {}),
    platformOwner: provider === "gitea" ? "platform" : "acme",
    ownerOf: (team) => (provider === "gitea" ? team : "acme"),
    credentialsFor: (_scope, request) => {
      requests.credentials.push(request);
      return {
        kind: provider === "gitea" ? "token" : "githubApp",
        secret: { namespace: request.namespace, name: `git-${request.component}`, key: provider === "gitea" ? "password" : "privateKey" },
        ready: [],
      };
    },
    webhook: (_scope, request) => {
      requests.webhooks.push(request);
    },
    publishRepository: (_scope, request) => {
      requests.published.push(request);
      const repo = `${url}/${provider === "gitea" ? "platform" : "acme"}/${request.name}`;
      return { url: repo, fileUrl: (path) => `${repo}/${provider === "gitea" ? "src/branch" : "blob"}/main/${path}`, ready: [] };
    },
  };
  return {
    id: "git",
    needs: [],
    requests,
    info: { title: "Git", description: "fake git service", subdomain: "git", docs: "https://docs.gitea.com/", lifecycle: "production" },
    install(scope) {
      new Construct(scope, "FakeGit");
      return { ready: [], services: { git } };
    },
  };
}
