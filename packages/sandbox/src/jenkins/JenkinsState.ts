/*
 * The in-memory model behind the sandbox Jenkins: jobs (by full name, folders separated by
 * `/`), the build queue and builds. Time is evaluated lazily against the clock, so no timers
 * run: a queue item leaves the queue `queueMs` after it was queued and its build finishes
 * `durationMs` later with the outcome configured for the job when it was triggered.
 */
import { randomBytes } from 'node:crypto';

/** Results a finished Jenkins build can have. */
export type JenkinsResult =
  | 'SUCCESS'
  | 'FAILURE'
  | 'UNSTABLE'
  | 'ABORTED'
  | 'NOT_BUILT';

/** What the next builds of a job do. `HANG` builds never finish. */
export interface JenkinsOutcome {
  result: JenkinsResult | 'HANG';
  /** How long the build runs (default 2000 ms). */
  durationMs: number;
  /** How long the item waits in the queue before a build starts (default 500 ms). */
  queueMs: number;
}

export const DEFAULT_JENKINS_OUTCOME: JenkinsOutcome = {
  result: 'SUCCESS',
  durationMs: 2000,
  queueMs: 500,
};

const RESULTS = new Set([
  'SUCCESS',
  'FAILURE',
  'UNSTABLE',
  'ABORTED',
  'NOT_BUILT',
  'HANG',
]);

/** A queued build request. */
export interface QueueItemRecord {
  id: number;
  job: string;
  parameters: Record<string, string>;
  queuedAt: number;
  outcome: JenkinsOutcome;
  cancelled: boolean;
  buildNumber?: number;
}

/** A build that left the queue. */
export interface BuildRecord {
  job: string;
  number: number;
  queueId: number;
  parameters: Record<string, string>;
  startedAt: number;
  outcome: JenkinsOutcome;
  /** Set when the build was stopped. */
  abortedAt?: number;
}

/** A build as seen at one moment. */
export interface BuildView {
  record: BuildRecord;
  building: boolean;
  result: JenkinsResult | null;
  durationMs: number;
}

/** Invalid input to the state API (bad outcome, unknown job). */
export class JenkinsStateError extends Error {
  constructor(message: string, readonly status: 400 | 404) {
    super(message);
  }
}

/** Jobs, queue and builds of the sandbox Jenkins. */
export class JenkinsState {
  readonly #jobs = new Map<
    string,
    { nextBuildNumber: number; builds: BuildRecord[] }
  >();
  readonly #outcomes = new Map<string, JenkinsOutcome>();
  readonly #queue = new Map<number, QueueItemRecord>();
  readonly #now: () => number;
  #nextQueueId = 1;
  #crumb = randomBytes(32).toString('hex');

  constructor(jobs: Array<{ fullName: string }>, now: () => number) {
    this.#now = now;
    for (const job of jobs) this.addJob(job.fullName);
  }

  /** The crumb POSTs must carry in the `Jenkins-Crumb` header. */
  get crumb(): string {
    return this.#crumb;
  }

  /** Issues a new crumb; the old one is rejected from now on (as after a restart). */
  rotateCrumb(): string {
    this.#crumb = randomBytes(32).toString('hex');
    return this.#crumb;
  }

  addJob(fullName: string) {
    const name = normalizeJobName(fullName);
    if (!this.#jobs.has(name)) {
      this.#jobs.set(name, { nextBuildNumber: 1, builds: [] });
    }
  }

  hasJob(fullName: string): boolean {
    return this.#jobs.has(normalizeJobName(fullName));
  }

  /** Full names of every job, sorted. */
  jobNames(): string[] {
    return [...this.#jobs.keys()].sort();
  }

  /** Sets what the next builds of a job do; missing fields keep the defaults. */
  setOutcome(
    fullName: string,
    outcome: Partial<JenkinsOutcome> & { result: JenkinsOutcome['result'] },
  ): JenkinsOutcome {
    const name = this.#requireJob(fullName);
    if (!RESULTS.has(outcome.result)) {
      throw new JenkinsStateError(
        `result must be one of ${[...RESULTS].join(', ')}; got '${
          outcome.result
        }'`,
        400,
      );
    }
    for (const key of ['durationMs', 'queueMs'] as const) {
      const v = outcome[key];
      if (v !== undefined && (typeof v !== 'number' || !(v >= 0))) {
        throw new JenkinsStateError(
          `${key} must be a number >= 0; got ${JSON.stringify(v)}`,
          400,
        );
      }
    }
    const full: JenkinsOutcome = {
      result: outcome.result,
      durationMs: outcome.durationMs ?? DEFAULT_JENKINS_OUTCOME.durationMs,
      queueMs: outcome.queueMs ?? DEFAULT_JENKINS_OUTCOME.queueMs,
    };
    this.#outcomes.set(name, full);
    return full;
  }

  /** What the next build of a job does. */
  outcome(fullName: string): JenkinsOutcome {
    const name = this.#requireJob(fullName);
    return this.#outcomes.get(name) ?? DEFAULT_JENKINS_OUTCOME;
  }

  /** Back to the default outcome. */
  resetOutcome(fullName: string) {
    this.#outcomes.delete(this.#requireJob(fullName));
  }

  /** Queues a build; returns the queue item. */
  enqueue(
    fullName: string,
    parameters: Record<string, string>,
  ): QueueItemRecord {
    const job = this.#requireJob(fullName);
    const item: QueueItemRecord = {
      id: this.#nextQueueId++,
      job,
      parameters: { ...parameters },
      queuedAt: this.#now(),
      outcome: this.outcome(job),
      cancelled: false,
    };
    this.#queue.set(item.id, item);
    return item;
  }

  queueItem(id: number): QueueItemRecord | undefined {
    this.#advance();
    return this.#queue.get(id);
  }

  /** Cancels a queue item that has not started; false when it is unknown or already left. */
  cancelQueueItem(id: number): boolean {
    this.#advance();
    const item = this.#queue.get(id);
    if (!item || item.buildNumber !== undefined || item.cancelled) return false;
    item.cancelled = true;
    return true;
  }

  /** Builds of a job, newest first. */
  builds(fullName: string): BuildView[] {
    const name = this.#requireJob(fullName);
    this.#advance();
    return [...this.#jobs.get(name)!.builds].reverse().map(b => this.#view(b));
  }

  build(fullName: string, number: number): BuildView | undefined {
    return this.builds(fullName).find(b => b.record.number === number);
  }

  nextBuildNumber(fullName: string): number {
    this.#advance();
    return this.#jobs.get(this.#requireJob(fullName))!.nextBuildNumber;
  }

  /** Items still waiting in the queue of a job. */
  queuedItems(fullName: string): QueueItemRecord[] {
    const name = this.#requireJob(fullName);
    this.#advance();
    return [...this.#queue.values()].filter(
      q => q.job === name && !q.cancelled && q.buildNumber === undefined,
    );
  }

  /** Items still waiting in the queue of every job, oldest first (what `/queue/api/json` lists). */
  waitingItems(): QueueItemRecord[] {
    this.#advance();
    return [...this.#queue.values()].filter(
      q => !q.cancelled && q.buildNumber === undefined,
    );
  }

  /** Stops a running build (its result becomes ABORTED); false when it already finished. */
  stopBuild(fullName: string, number: number): boolean {
    const view = this.build(fullName, number);
    if (!view || !view.building) return false;
    view.record.abortedAt = this.#now();
    return true;
  }

  #requireJob(fullName: string): string {
    const name = normalizeJobName(fullName);
    if (!this.#jobs.has(name)) {
      throw new JenkinsStateError(`No such job: ${name}`, 404);
    }
    return name;
  }

  /** Moves queue items whose wait is over into builds, in the order they leave the queue. */
  #advance() {
    const now = this.#now();
    const leaving = [...this.#queue.values()]
      .filter(
        q =>
          !q.cancelled &&
          q.buildNumber === undefined &&
          q.queuedAt + q.outcome.queueMs <= now,
      )
      .sort(
        (a, b) =>
          a.queuedAt + a.outcome.queueMs - (b.queuedAt + b.outcome.queueMs) ||
          a.id - b.id,
      );
    for (const item of leaving) {
      const job = this.#jobs.get(item.job)!;
      item.buildNumber = job.nextBuildNumber++;
      job.builds.push({
        job: item.job,
        number: item.buildNumber,
        queueId: item.id,
        parameters: item.parameters,
        startedAt: item.queuedAt + item.outcome.queueMs,
        outcome: item.outcome,
      });
    }
  }

  #view(record: BuildRecord): BuildView {
    const now = this.#now();
    if (record.abortedAt !== undefined) {
      return {
        record,
        building: false,
        result: 'ABORTED',
        durationMs: record.abortedAt - record.startedAt,
      };
    }
    const { result, durationMs } = record.outcome;
    if (result === 'HANG' || now < record.startedAt + durationMs) {
      return {
        record,
        building: true,
        result: null,
        durationMs: 0,
      };
    }
    return { record, building: false, result, durationMs };
  }
}

/** `a/b/c` without empty segments or surrounding slashes. */
export function normalizeJobName(fullName: string): string {
  return fullName
    .split('/')
    .filter(s => s.length > 0)
    .join('/');
}
