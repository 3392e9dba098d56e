/** A version seen running in an environment. */
export interface ObservedVersion {
  entityRef: string;
  environment: string;
  image: string;
  commitSha?: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** One look at what runs in an environment. */
export interface Sighting {
  entityRef: string;
  environment: string;
  image: string;
  commitSha?: string;
  seenAt: Date;
  /** When the workload says this version was deployed, if it says. */
  deployedAt?: Date;
}

/** Keeps which versions ran where, and since when. */
export interface ObservedVersionsStore {
  /**
   * Records that `image` runs in `environment` at `seenAt`. The first sighting keeps the
   * earliest time known (`deployedAt` when the workload says so); returns the stored row.
   */
  recordSighting(sighting: Sighting): Promise<ObservedVersion>;

  /** Versions seen for a service, newest sighting first. */
  listSightings(
    entityRef: string,
    options?: { environment?: string; limit?: number },
  ): Promise<ObservedVersion[]>;
}
