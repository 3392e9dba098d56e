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
    private readonly options: {
      github: GitHubProvider;
      blockingLabel: string;
      /**
       * Branches deployments may come from (`delivery.eligibility.branches`); `{default}` is the
       * repository's default branch, which is also what an empty list means.
       */
      branches?: string[];
    },
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
    const allowed = [
      ...new Set(
        (this.options.branches?.length
          ? this.options.branches
          : ['{default}']
        ).map(b => (b === '{default}' ? repository.defaultBranch : b)),
      ),
    ];
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
        // Whether it exists is known from the default branch; a missing branch counts as not.
        let onAllowed =
          placement.onBranch && allowed.includes(repository.defaultBranch);
        for (const branch of allowed) {
          if (onAllowed || !placement.exists) break;
          if (branch === repository.defaultBranch) continue;
          onAllowed = (await github.commitOnBranch(slug, branch, commitSha))
            .onBranch;
        }
        const checks = placement.exists
          ? await github.getCiChecks(slug, commitSha)
          : [];
        return evaluateEligibility({
          commitSha,
          commitExists: placement.exists,
          onDefaultBranch: onAllowed,
          defaultBranch: repository.defaultBranch,
          ...(allowed.length > 1 || allowed[0] !== repository.defaultBranch
            ? { allowedBranches: allowed }
            : {}),
          checks,
          requiredChecks,
          blockingIssues,
          blockingLabel,
        });
      }),
    );
  }
}
