import { FlagdProvider } from '@openfeature/flagd-provider';

/**
 * A flagd provider whose close is final.
 *
 * `@openfeature/flagd-provider` 0.16 schedules the reconnect of its gRPC sync with a bare
 * `setTimeout` and keeps no handle: a reconnect pending when the provider is closed (the portal
 * was down, or answered an error) reopens the closed client and retries forever, which keeps
 * the process alive (open-feature/js-sdk-contrib#1484; the fix, #1589, is not released). This
 * subclass takes over scheduling the reconnects of its fetcher so that `onClose` cancels the
 * pending one, and ignores the errors of the closed client. When the fetcher does not look as
 * expected (another version), it changes nothing.
 */
export class ClosableFlagdProvider extends FlagdProvider {
  #closed = false;
  #reconnect?: NodeJS.Timeout;

  constructor(options: ConstructorParameters<typeof FlagdProvider>[0]) {
    super(options);
    const fetcher = (this as any)._service?._dataFetcher;
    const { listen, handleError } = fetcher ?? {};
    if (
      typeof listen !== 'function' ||
      typeof handleError !== 'function' ||
      typeof fetcher.reconnect !== 'function' ||
      typeof fetcher._maxBackoffMs !== 'number'
    ) {
      return;
    }
    // What GrpcFetch.reconnect does, keeping the timer.
    fetcher.reconnect = (...args: unknown[]) => {
      const delay = fetcher._errorThrottled ? fetcher._maxBackoffMs : 0;
      fetcher._errorThrottled = false;
      this.#reconnect = setTimeout(() => fetcher.listen(...args), delay);
    };
    fetcher.listen = (...args: unknown[]) =>
      this.#closed ? undefined : listen.apply(fetcher, args);
    fetcher.handleError = (...args: unknown[]) =>
      this.#closed ? undefined : handleError.apply(fetcher, args);
  }

  async onClose(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnect);
    await super.onClose();
  }
}

/**
 * A provider in in-process mode streaming the flags of `selector` (`<environment>/<service>`)
 * from a flagd gRPC sync server without TLS, as tests and benchmarks connect to the portal's:
 * quick to give up a connection attempt, quick to retry, never reconnecting on a timer.
 */
export function inProcessFlagdProvider(
  address: { host?: string; port: number },
  selector: string,
): ClosableFlagdProvider {
  return new ClosableFlagdProvider({
    resolverType: 'in-process',
    host: address.host ?? '127.0.0.1',
    port: address.port,
    tls: false,
    selector,
    deadlineMs: 2000,
    retryBackoffMaxMs: 1000,
    streamDeadlineMs: 0,
  });
}
