// Host facts are keyed by host and deploy path, not by host and pipeline: one host in two
// environments of a pipeline with different paths (staging and production on one box) runs two
// releases, and `status` showed them mixed. STATE/hosts/HOST.json `pipelines` keeps the plain
// pipeline name for the pipeline's own deploy.path (as before) and PIPELINE@PATH for another path.
export function hostEntryKey(pipeline: string, path: string, pipelinePath: string): string {
  return path === pipelinePath ? pipeline : `${pipeline}@${path}`;
}

/** Whether a key of HostState.pipelines belongs to this pipeline (any of its paths). */
export function isEntryOf(key: string, pipeline: string): boolean {
  return key === pipeline || key.startsWith(`${pipeline}@`);
}
