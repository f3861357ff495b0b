// Runs the pipeline's helper commands (resources/fawkes/cli.js) in the pod's `node` container.
// The decisions live in that JavaScript, tested by the platform's jest suite; this only runs it.

// Every file cli.js needs, copied from the library into the build's temporary directory (outside
// the workspace, so a Dockerfile's `COPY . .` never picks them up).
@groovy.transform.Field
static final List<String> FILES = ['cli.js', 'config.js', 'skip.js', 'gates.js', 'record.js', 'gitops.js', 'argo.js', 'images.json']

String workDir() {
  return "${pwd(tmp: true)}/fawkes"
}

void install() {
  for (String f : FILES) {
    writeFile file: "${workDir()}/lib/${f}", text: libraryResource("fawkes/${f}")
  }
}

// The robot's token (commit status, GitOps promotion) and, where the platform offers the
// delivery-events seam, its bearer token: as environment variables of the helper only.
private List credentials() {
  List c = [usernamePassword(credentialsId: 'fawkes-git', usernameVariable: 'GIT_USERNAME', passwordVariable: 'GIT_TOKEN')]
  if (env.FAWKES_DELIVERY_EVENTS_URL) {
    c << string(credentialsId: 'fawkes-delivery-events', variable: 'FAWKES_DELIVERY_EVENTS_TOKEN')
  }
  return c
}

/** Runs `node cli.js <args>`; fails the stage on a non-zero exit. */
void call(String args) {
  container('node') {
    withCredentials(credentials()) {
      sh "node '${workDir()}/lib/cli.js' ${args}"
    }
  }
}

/** Runs `node cli.js <args>` and returns its exit code (gates: archive the report, then fail). */
int status(String args) {
  container('node') {
    withCredentials(credentials()) {
      return sh(script: "node '${workDir()}/lib/cli.js' ${args}", returnStatus: true)
    }
  }
}
