// A cap on SSH handshakes in flight. sshd's MaxStartups (default 10:30:100) starts dropping
// unauthenticated connections at 10 per sshd and drops all at 100; measured here, 30
// simultaneous handshakes to one sshd lost 6–8. A deploy to a fleet (or to many host entries on
// one machine) would otherwise open them all at once. Kamal caps at 30 in all; we cap at 30 in
// all and 8 per sshd (address:port): sshd counts a connection as starting until its monitor
// hears of the login, a moment after the client is ready, so a cap right at MaxStartups's 10
// would still lose connections (seen in tests with a cap equal to MaxStartups). A connection
// waits for its turn before its connectTimeout starts, so a queued host is not reported
// unreachable.
export const MAX_STARTS = 30;
export const MAX_STARTS_PER_ADDRESS = 8;

interface Waiter {
  key: string;
  go: () => void;
}

export class StartGate {
  private readonly total: number;
  private readonly perAddress: number;
  private running = 0;
  private readonly byKey = new Map<string, number>();
  private readonly queue: Waiter[] = [];
  /** Most handshakes seen in flight at once (tests and benchmarks read it). */
  peak = 0;

  constructor(opts: { total?: number; perAddress?: number } = {}) {
    this.total = opts.total ?? MAX_STARTS;
    this.perAddress = opts.perAddress ?? MAX_STARTS_PER_ADDRESS;
  }

  /** Runs `start` (a connect and handshake to `key`) once both caps leave room for it. */
  async run<T>(key: string, start: () => Promise<T>): Promise<T> {
    await new Promise<void>((go) => {
      this.queue.push({ key, go });
      this.pump();
    });
    try {
      return await start();
    } finally {
      this.running--;
      this.byKey.set(key, (this.byKey.get(key) ?? 1) - 1);
      this.pump();
    }
  }

  /** Starts every queued handshake that fits, in order; one busy sshd does not hold up others. */
  private pump(): void {
    for (let i = 0; i < this.queue.length && this.running < this.total; ) {
      const waiter = this.queue[i]!;
      const onKey = this.byKey.get(waiter.key) ?? 0;
      if (onKey >= this.perAddress) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.running++;
      this.byKey.set(waiter.key, onKey + 1);
      this.peak = Math.max(this.peak, this.running);
      waiter.go();
    }
  }
}

/**
 * The gate every pool of this process shares unless given its own: the caps protect the sshds
 * from the process as a whole (two runs deploying at once share them).
 */
export const processStartGate = new StartGate();
