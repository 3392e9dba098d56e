import {
  Eligibility,
  evaluateEligibility,
  requiredChecksFrom,
} from '@internal/plugin-delivery-common';
import { GitHubProvider } from '../providers/github';
import { DeliveryEntity } from './EntityResolver';

/** Gathers the facts about commits from GitHub and applies the eligibility rules. */
export class EligibilityService {
  constructor(
    private readonly options: { github: GitHubProvider; blockingLabel: string },
  ) {}

  /** Eligibility of each commit, in the order given. */
  async check(
    service: DeliveryEntity,
    commitShas: string[],
  ): Promise<Eligibility[]> {
    const { github, blockingLabel } = this.options;
    const slug = service.projectSlug;
    const [repository, blockingIssues] = await Promise.all([
      github.getRepository(slug),
      github.listOpenIssuesWithLabel(slug, blockingLabel),
    ]);
    const requiredChecks = requiredChecksFrom(
      service.entity.metadata.annotations,
    );
    return Promise.all(
      commitShas.map(async commitSha => {
        const placement = await github.commitOnBranch(
          slug,
          repository.defaultBranch,
          commitSha,
        );
        const checks = placement.exists
          ? await github.getCiChecks(slug, commitSha)
          : [];
        return evaluateEligibility({
          commitSha,
          commitExists: placement.exists,
          onDefaultBranch: placement.onBranch,
          defaultBranch: repository.defaultBranch,
          checks,
          requiredChecks,
          blockingIssues,
          blockingLabel,
        });
      }),
    );
  }
}
