// Host facts are kept per host and deploy path, not only per host and pipeline: one host in two
// environments of a pipeline with different paths (staging and production on one box) runs two
// releases, and `status` showed them mixed. STATE/hosts/HOST.json keeps `pipelines[NAME]` (the
// last deploy of that pipeline to the host, as before) and `paths[PATH]` (what runs at each path).
import type { HostPipelineState, HostState } from './types.ts';

/** What runs at this pipeline's deploy path on the host (older state files: the pipeline's entry). */
export function hostEntry(hs: HostState | undefined, pipeline: string, path: string): HostPipelineState | undefined {
  const at = hs?.paths?.[path];
  if (at && at.pipeline === pipeline) return at;
  return hs?.pipelines[pipeline];
}

/** Records what runs at a path, in both places. */
export function setHostEntry(hs: HostState, pipeline: string, path: string, entry: HostPipelineState): void {
  hs.pipelines[pipeline] = entry;
  hs.paths = { ...hs.paths, [path]: { ...entry, pipeline } };
}
