// The build pod's YAML: resources/fawkes/pod.yaml with this service's toolchain image, the
// platform's kaniko image (FAWKES_KANIKO_IMAGE) and the workload identity's pod labels
// (FAWKES_BUILDER_POD_LABELS, JSON), all set by the platform as Jenkins global variables.
String call(String toolchainImage) {
  def pod = readYaml(text: libraryResource('fawkes/pod.yaml'))
  for (c in pod.spec.containers) {
    if (c.name == 'toolchain') c.image = toolchainImage
    if (c.name == 'kaniko' && env.FAWKES_KANIKO_IMAGE) c.image = env.FAWKES_KANIKO_IMAGE
  }
  if (env.FAWKES_BUILDER_POD_LABELS) {
    pod.metadata.labels.putAll(readJSON(text: env.FAWKES_BUILDER_POD_LABELS))
  }
  return writeYaml(data: pod, returnText: true)
}
