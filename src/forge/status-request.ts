// The HTTP request that sets one commit status, per forge, exactly as each documents it:
// - GitHub  POST {api}/repos/{owner}/{repo}/statuses/{sha}   Authorization: Bearer T
//           body {state: pending|success|failure|error, target_url, description, context}
//           (docs.github.com/rest/commits/statuses#create-a-commit-status)
// - Gitea   POST {api}/repos/{owner}/{repo}/statuses/{sha}   Authorization: token T
//           same body (gitea.com/api/swagger#/repository/repoCreateStatus)
// - GitLab  POST {api}/projects/{url-encoded path or id}/statuses/{sha}   PRIVATE-TOKEN: T
//           body {state: pending|running|success|failed|canceled, name, target_url, description}
//           (docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit)
// Pure: the poster (commit-status.ts) sends it.
import type { StatusTarget } from '../config/types.ts';

export type StatusState = 'pending' | 'success' | 'failure';

export interface CommitStatus {
  /** slipway/test or slipway/deploy/ENV. */
  context: string;
  state: StatusState;
  description: string;
  targetUrl?: string;
}

export interface StatusRequest {
  url: string;
  headers: Record<string, string>;
  body: Record<string, string>;
}

const GITLAB_STATE: Record<StatusState, string> = { pending: 'pending', success: 'success', failure: 'failed' };

export function statusRequest(target: StatusTarget, sha: string, status: CommitStatus): StatusRequest {
  const api = target.api.replace(/\/+$/, '');
  const common = { 'Content-Type': 'application/json', 'User-Agent': 'slipway' };
  const link: Record<string, string> = status.targetUrl !== undefined ? { target_url: status.targetUrl } : {};
  // GitHub and GitLab cap the description at 140 and 255 characters; keep to the smaller.
  const description = status.description.slice(0, 140);
  if (target.forge === 'gitlab') {
    return {
      url: `${api}/projects/${encodeURIComponent(target.repo)}/statuses/${sha}`,
      headers: { ...common, 'PRIVATE-TOKEN': target.token },
      body: { state: GITLAB_STATE[status.state], name: status.context, description, ...link },
    };
  }
  const repo = target.repo.split('/').map(encodeURIComponent).join('/');
  const auth: Record<string, string> = target.forge === 'github'
    ? { Authorization: `Bearer ${target.token}`, Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' }
    : { Authorization: `token ${target.token}`, Accept: 'application/json' };
  return {
    url: `${api}/repos/${repo}/statuses/${sha}`,
    headers: { ...common, ...auth },
    body: { state: status.state, context: status.context, description, ...link },
  };
}
