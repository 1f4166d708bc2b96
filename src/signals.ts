// Signals that must never hurt a running Mooring. Node's defaults would kill it at once on SIGHUP
// and SIGUSR2 (requests under way lost), and open its inspector on 127.0.0.1:9229 on SIGUSR1 (a way
// into the process for anyone on the host). A listener of our own replaces each default: SIGHUP
// reloads the config once there is something to reload; USR1 and USR2 are logged and ignored.

export const HARMLESS_SIGNALS = ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;

export interface SignalHandling {
  /** From now on SIGHUP calls `reload` (before this, it is logged and ignored). */
  onReload(reload: () => void): void;
}

export function handleHarmlessSignals(warn: (message: string) => void): SignalHandling {
  let reload: (() => void) | undefined;
  for (const signal of HARMLESS_SIGNALS) {
    process.on(signal, () => {
      if (signal === 'SIGHUP' && reload) return reload();
      const what = signal === 'SIGHUP' ? 'Mooring is still starting; send it again once it listens' : 'it has no use in Mooring (the inspector stays closed)';
      warn(`${signal} received and ignored: ${what}`);
    });
  }
  return { onReload: (r) => (reload = r) };
}
