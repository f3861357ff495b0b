// The Fawkes pipeline. A service's Jenkinsfile is:
//
//   @Library('fawkes') _
//   fawkesPipeline()
//
// Stages: skip check, build and unit tests with coverage, SAST (SonarQube + quality gate), image
// build and push (kaniko), image scan (Trivy gate), commit status fawkes/image, promotion to staging
// (GitOps commit), Argo CD Synced and Healthy, smoke test, deployment record, production promotion.
// Thin on purpose: decisions are in resources/fawkes/*.js (fawkesHelper runs them).
// Options: branch (the one that deploys, default main), argoTimeoutSeconds (default 600).
void call(Map options = [:]) {
  // fawkes.yaml from the trusted revision, before any pod exists: its language picks the toolchain.
  def raw = readYaml(text: readTrusted('fawkes.yaml'))
  def images = readJSON(text: libraryResource('fawkes/images.json'))
  if (!images.languages.containsKey(raw.language)) {
    error "fawkes.yaml language must be one of ${images.languages.keySet().join(', ')}, got ${raw.language}"
  }

  podTemplate(yaml: fawkesPod(images.languages[raw.language])) {
    node(POD_LABEL) {
      def scmVars = checkout scm
      String commit = scmVars.GIT_COMMIT
      String repoUrl = scmVars.GIT_URL
      String F = fawkesHelper.workDir()
      fawkesHelper.install()
      writeJSON file: "${F}/fawkes.json", json: raw
      fawkesHelper "config --in '${F}/fawkes.json' --out '${F}/config.json'"
      def cfg = readJSON(file: "${F}/config.json")

      boolean skip = false
      stage('Skip check') {
        // git is in the agent container; the decision is skip.js's.
        sh "git log -1 --format='%an%n%B' > '${F}/head.txt' && (git diff --name-only HEAD~1 HEAD > '${F}/changed.txt' 2>/dev/null || : > '${F}/changed.txt')"
        fawkesHelper "skip --head '${F}/head.txt' --changed '${F}/changed.txt' --out '${F}/skip.json'"
        def decision = readJSON(file: "${F}/skip.json")
        skip = decision.skip
        if (skip) currentBuild.description = "Skipped: ${decision.reason}"
      }
      if (skip) {
        currentBuild.result = 'NOT_BUILT'
        return
      }

      stage('Build & unit tests') {
        container('toolchain') {
          sh cfg.toolchain.build
        }
      }

      stage('SAST: SonarQube') {
        if (!env.FAWKES_SONARQUBE_URL) {
          echo 'SAST skipped: this platform has no SonarQube (no sonarqube-token credential). Install the scanning component to get the quality gate.'
          return
        }
        String projectKey = "${cfg.team}_${cfg.service}"
        withSonarQubeEnv('sonarqube') {
          container('sonar-scanner') {
            sh "sonar-scanner -Dsonar.projectKey=${projectKey} -Dsonar.projectName=${cfg.service} -Dsonar.sources=. -Dsonar.exclusions=deploy/**,docs/** -D${cfg.toolchain.sonarCoverageProperty}=${cfg.toolchain.coverageReport} -Dsonar.scm.revision=${commit}"
          }
          int gate = fawkesHelper.status("sonar-gate --report-task .scannerwork/report-task.txt --coverage ${cfg.quality.coverage} --out sonar-gate.json")
          archiveArtifacts artifacts: 'sonar-gate.json', allowEmptyArchive: true
          if (gate != 0) error 'SonarQube quality gate failed: see the summary above and sonar-gate.json'
        }
      }

      String image = "${env.FAWKES_REGISTRY_PUSH}/${cfg.service}:${commit}"
      stage('Image: build & push') {
        container('kaniko') {
          sh "/kaniko/executor --context \"\$WORKSPACE\" --dockerfile \"\$WORKSPACE/Dockerfile\" --destination '${image}' --digest-file '${F}/digest' --tar-path '${F}/image.tar' \$FAWKES_KANIKO_FLAGS"
        }
      }
      String digest = readFile("${F}/digest").trim()
      // Shown in Jenkins and on the service's CI tab in Backstage.
      currentBuild.description = "${cfg.service}@${digest.substring(0, 19)} from ${commit.substring(0, 7)}"

      stage('Image scan: Trivy') {
        container('trivy') {
          sh "trivy image --input '${F}/image.tar' --format json --output trivy-report.json --quiet"
        }
        if (fileExists(cfg.scan.ignoreFile)) {
          writeJSON file: "${F}/ignores.json", json: readYaml(file: cfg.scan.ignoreFile)
        }
        int gate = fawkesHelper.status("trivy-gate --report trivy-report.json --config '${F}/config.json' --ignores '${F}/ignores.json' --image '${image}' --out trivy-gate.json --markdown trivy-summary.md")
        // Archived with the build: the service's Backstage page links the latest build's artifacts.
        archiveArtifacts artifacts: 'trivy-report.json,trivy-gate.json,trivy-summary.md', allowEmptyArchive: false
        echo "Scan report: ${env.BUILD_URL}artifact/trivy-summary.md (also on the service's CI tab in Backstage)"
        if (gate != 0) error "Trivy gate failed: blocking vulnerabilities in ${image}, see trivy-summary.md"
      }

      stage('Commit status fawkes/image') {
        fawkesHelper "commit-status --repo-url '${repoUrl}' --sha ${commit} --digest ${digest} --target-url '${env.BUILD_URL}'"
      }

      if (env.BRANCH_NAME && env.BRANCH_NAME != (options.branch ?: 'main')) {
        echo "Branch ${env.BRANCH_NAME}: built, tested and scanned; only ${options.branch ?: 'main'} deploys."
        return
      }
      Map d = [service: cfg.service, team: cfg.team, repoUrl: repoUrl, commit: commit, digest: digest,
               newName: "${env.FAWKES_REGISTRY_PULL}/${cfg.service}", pullUrl: env.FAWKES_REGISTRY_PULL,
               timeoutSeconds: options.argoTimeoutSeconds ?: 600]
      fawkesDeploy(d + [env: 'staging', mode: 'commit', smokePath: cfg.deploy.staging.smokePath])
      boolean auto = cfg.deploy.production.promotion == 'auto'
      fawkesDeploy(d + [env: 'production', mode: 'pull-request', merge: auto])
    }
  }
}
