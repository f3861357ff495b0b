// Runs the pipeline's helper commands (resources/fawkes/cli.js) in the pod's `node` container.
// The decisions live in that JavaScript, tested by the platform's jest suite; this only runs it.

// Every file cli.js needs, copied from the library into the build's temporary directory (outside
// the workspace, so a Dockerfile's `COPY . .` never picks them up).
@groovy.transform.Field
static final List<String> FILES = ['cli.js', 'config.js', 'skip.js', 'gates.js', 'record.js', 'gitops.js', 'argo.js', 'images.json']

String dir() {
  return "${pwd(tmp: true)}/fawkes"
}

void install() {
  for (String f : FILES) {
    writeFile file: "${dir()}/lib/${f}", text: libraryResource("fawkes/${f}")
  }
}

/** Runs `node cli.js <args>`; fails the stage on a non-zero exit. */
void call(String args) {
  container('node') {
    sh "node '${dir()}/lib/cli.js' ${args}"
  }
}

/** Runs `node cli.js <args>` and returns its exit code (gates: archive the report, then fail). */
int status(String args) {
  container('node') {
    return sh(script: "node '${dir()}/lib/cli.js' ${args}", returnStatus: true)
  }
}
