import { FlagdProvider } from '@openfeature/flagd-provider';
import { OpenFeature } from '@openfeature/server-sdk';
import { SERVICE_NAME, configFromEnv } from './config';
import { Metrics } from './metrics';
import { HelloServer } from './server';

/** One JSON line per event, on stdout: what log collectors expect from a container. */
function log(
  level: 'info' | 'warn' | 'error',
  message: string,
  fields: Record<string, unknown> = {},
) {
  console.log(
    JSON.stringify({ level, service: SERVICE_NAME, message, ...fields }),
  );
}

/** At most `ms` for `promise`; closing must not hold the shutdown up. */
function within(promise: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([
    promise,
    new Promise(resolve => setTimeout(resolve, ms).unref()),
  ]);
}

async function main() {
  const config = configFromEnv();

  if (config.flags) {
    // In-process evaluation: the provider streams the flags of `<environment>/<service>` from
    // the delivery portal (flagd's gRPC sync protocol) and evaluates them locally. TLS and the
    // retry backoff follow flagd's own variables (FLAGD_TLS, FLAGD_RETRY_BACKOFF_MAX_MS, ...).
    const provider = new FlagdProvider({
      resolverType: 'in-process',
      host: config.flags.host,
      port: config.flags.port,
      selector: config.flags.selector,
    });
    // Not awaited: the service serves at once. Until the flags arrive (the portal is down, or
    // does not know the service yet) every flag evaluates to its default, and the provider
    // keeps reconnecting in the background.
    OpenFeature.setProviderAndWait(provider).then(
      () => log('info', 'Feature flags synced', { ...config.flags }),
      error =>
        log('warn', 'Feature flags not synced yet; defaults apply', {
          ...config.flags,
          error: String(error),
        }),
    );
  } else {
    log(
      'warn',
      'Neither DEPLOY_ENVIRONMENT nor FLAGD_SELECTOR is set: every flag evaluates to its default',
    );
  }

  const server = new HelloServer({
    flags: OpenFeature.getClient(),
    metrics: new Metrics(),
  });
  const port = await server.listen(config.port);
  log('info', 'Listening', { port });

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log('info', 'Shutting down', { signal });
    await server.shutdown({
      drainDelayMs: config.drainDelayMs,
      timeoutMs: config.shutdownTimeoutMs,
    });
    await within(OpenFeature.close(), 2000);
    log('info', 'Stopped');
    // Explicitly: a flagd provider that was reconnecting when closed may leave a timer behind
    // (open-feature/js-sdk-contrib#1484), which would keep the process alive.
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(error => {
  log('error', 'Cannot start', { error: String(error) });
  process.exit(1);
});
