// Signals that must never hurt a running Mooring. Node's defaults would kill it at once on SIGHUP
// and SIGUSR2 (requests under way lost), and open its inspector on 127.0.0.1:9229 on SIGUSR1 (a way
// into the process for anyone on the host). A listener of our own replaces each default.

export const HARMLESS_SIGNALS = ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;

/** Logs and ignores SIGHUP, SIGUSR1 and SIGUSR2 (reload on SIGHUP is not built yet). */
export function ignoreHarmlessSignals(warn: (message: string) => void): void {
  for (const signal of HARMLESS_SIGNALS) {
    process.on(signal, () => {
      const what = signal === 'SIGHUP' ? 'reloading is not built yet; restart to apply a new config' : 'it has no use in Mooring (the inspector stays closed)';
      warn(`${signal} received and ignored: ${what}`);
    });
  }
}
