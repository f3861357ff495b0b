// One environment's deployment: GitOps promotion (the digest into deploy/<env>/), then, unless it
// only opened a pull request, the wait for Argo CD and (staging) the smoke test. The deployment
// record is written whatever happens once promotion started: SUCCESS or FAILURE.
void call(Map d) {
  String F = fawkesHelper.workDir()
  String target = d.env
  String promotion = "${F}/promote-${target}.json"
  String result = 'FAILURE'
  boolean recorded = true
  try {
    stage("Promote to ${target}") {
      String merge = d.merge ? ' --merge' : ''
      fawkesHelper "promote --env ${target} --mode ${d.mode}${merge} --repo-url '${d.repoUrl}' --service ${d.service} --commit ${d.commit} --new-name '${d.newName}' --digest ${d.digest} --out '${promotion}'"
    }
    if (d.mode == 'pull-request' && !d.merge) {
      // A person merges the pull request; Argo CD syncs it then. Nothing deployed yet: no record.
      recorded = false
      result = 'SUCCESS'
      return
    }
    def revision = readJSON(file: promotion).revision
    stage("Argo CD: ${target} Synced and Healthy") {
      fawkesHelper "wait-argo --app ${d.service}-${target} --revision ${revision} --timeout ${d.timeoutSeconds ?: 600}"
    }
    if (d.smokePath) {
      stage("Smoke test ${target}") {
        fawkesHelper "smoke --url 'http://${d.service}.${d.team}-${d.service}-${target}.svc${d.smokePath}'"
      }
    }
    result = 'SUCCESS'
  } finally {
    if (recorded && fileExists(promotion)) {
      stage("Record ${target} deployment") {
        fawkesHelper "record --env ${target} --result ${result} --service ${d.service} --team ${d.team} --repo-url '${d.repoUrl}' --commit ${d.commit} --pull-url '${d.pullUrl}' --digest ${d.digest} --promotion '${promotion}' --out deployment-${target}.json"
        archiveArtifacts artifacts: "deployment-${target}.json", allowEmptyArchive: false
      }
    }
  }
}
