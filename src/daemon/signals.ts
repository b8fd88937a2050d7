// Signals of a daemon under systemd: SIGTERM (systemctl stop) and SIGINT (Ctrl-C) stop it
// gracefully; SIGHUP (systemctl reload, ExecReload=kill -HUP $MAINPID) reloads the config.
// A second SIGTERM/SIGINT does not kill it mid-way: the grace period is the one bound.

export interface SignalWatch {
  stopped: Promise<void>;
  which?: NodeJS.Signals;
  dispose(): void;
}

export function onSignals(handlers: { reload(): void }): SignalWatch {
  let resolveStop!: () => void;
  const watch: SignalWatch = {
    stopped: new Promise<void>((r) => (resolveStop = r)),
    dispose: () => {
      process.off('SIGHUP', hup);
      // During the shutdown grace a reload has nothing to do, but must not kill the process.
      process.on('SIGHUP', ignore);
      // Stay subscribed to TERM/INT: without a listener Node would die on a second one.
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      process.on('SIGTERM', ignore);
      process.on('SIGINT', ignore);
    },
  };
  const stop = (signal: NodeJS.Signals): void => {
    watch.which ??= signal;
    resolveStop();
  };
  const hup = (): void => handlers.reload();
  const ignore = (): void => undefined;
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', hup);
  return watch;
}
