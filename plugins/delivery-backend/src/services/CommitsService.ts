import {
  CommitsResponse,
  combineCiStates,
} from '@internal/plugin-delivery-common';
import { GitHubProvider } from '../providers/github';
import { DeliveryEntity } from './EntityResolver';

/** The latest commits of a service's default branch with their CI state. */
export class CommitsService {
  constructor(
    private readonly options: { github: GitHubProvider; limit: number },
  ) {}

  async list(service: DeliveryEntity): Promise<CommitsResponse> {
    const { github, limit } = this.options;
    const repository = await github.getRepository(service.projectSlug);
    const commits = await github.listCommits(
      service.projectSlug,
      repository.defaultBranch,
      limit,
    );
    const checks = await Promise.all(
      commits.map(c => github.getCiChecks(service.projectSlug, c.sha)),
    );
    return {
      entityRef: service.entityRef,
      repository,
      commits: commits.map((c, i) => ({
        sha: c.sha,
        shortSha: c.sha.slice(0, 7),
        message: c.message,
        author: {
          name: c.authorName,
          ...(c.authorLogin ? { login: c.authorLogin } : {}),
          ...(c.avatarUrl ? { avatarUrl: c.avatarUrl } : {}),
        },
        committedAt: c.date,
        url: c.url,
        ci: { state: combineCiStates(checks[i]), checks: checks[i] },
      })),
    };
  }
}
