// The build pod's YAML: resources/fawkes/pod.yaml with this service's toolchain image, the
// platform's kaniko image (FAWKES_KANIKO_IMAGE), the workload identity's pod labels
// (FAWKES_BUILDER_POD_LABELS, JSON) and, on a laptop, how to reach the git service at its public
// URL (FAWKES_BUILDER_HOST_ALIASES, JSON; FAWKES_BUILDER_CA_CONFIGMAP, the local CA), all set by
// the platform as Jenkins global variables.
String call(String toolchainImage) {
  def pod = readYaml(text: libraryResource('fawkes/pod.yaml'))
  for (c in pod.spec.containers) {
    if (c.name == 'toolchain') c.image = toolchainImage
    if (c.name == 'kaniko' && env.FAWKES_KANIKO_IMAGE) c.image = env.FAWKES_KANIKO_IMAGE
  }
  if (env.FAWKES_BUILDER_POD_LABELS) {
    pod.metadata.labels.putAll(readJSON(text: env.FAWKES_BUILDER_POD_LABELS))
  }
  def aliases = env.FAWKES_BUILDER_HOST_ALIASES ? readJSON(text: env.FAWKES_BUILDER_HOST_ALIASES) : []
  if (aliases.size() > 0) pod.spec.hostAliases = aliases
  if (env.FAWKES_BUILDER_CA_CONFIGMAP) {
    // git in the agent container (checkout scm) trusts the local CA; the plugin adds its image.
    pod.spec.volumes << [name: 'local-ca', configMap: [name: env.FAWKES_BUILDER_CA_CONFIGMAP]]
    pod.spec.containers << [name: 'jnlp', env: [[name: 'GIT_SSL_CAINFO', value: '/var/run/fawkes-ca/ca.crt']],
                            volumeMounts: [[name: 'local-ca', mountPath: '/var/run/fawkes-ca', readOnly: true]]]
  }
  return writeYaml(data: pod, returnText: true)
}
