/**
 * The component specs, in one jest file: each spec loads cdktf, the providers and every component
 * (~1 s per file), so they share one module registry instead of paying it a dozen times. Run one
 * of them with `npx jest test/components.suite -t <Describe name>`.
 */
import "./platform.spec";
import "./helm.spec";
import "./policy.spec";
import "./components.spec";
import "./capacity.spec";
import "./front-door.spec";
import "./observability.spec";
import "./logs-traces.spec";
import "./backstage.spec";
import "./argocd.spec";
import "./mattermost.spec";
import "./scanning.spec";
import "./jenkins.spec";
import "./dojo.spec";
import "./sso.spec";
import "./identity.spec";
import "./dora.spec";
import "./git.spec";
