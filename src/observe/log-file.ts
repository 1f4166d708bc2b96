// Where access-log batches go: a file (or standard output) written asynchronously, one batch after
// another, in order. Written here rather than through pino's destination because what happens when
// the file fails is Mooring's to decide: pino's destination registers a process-exit hook that,
// on a file that keeps failing (a full disk), retries a synchronous write for ever, so the process
// could never stop. Here a failing batch is retried every RETRY_MS, bytes waiting are bounded, and
// closing gives up after a deadline.
import { close as closeFd, constants, existsSync, mkdirSync, openSync, write } from 'node:fs';
import { dirname } from 'node:path';

/** After a failed write, the next try waits this long (the disk may get room again). */
const RETRY_MS = 1000;

export class LogFile {
  private readonly queue: Buffer[] = [];
  private waiting = 0;
  private writing = false;
  private retry: NodeJS.Timeout | undefined;
  private closing: (() => void) | undefined;

  /**
   * `onError` hears a write that failed (retried) and batches dropped because more than
   * `maxWaiting` bytes wait; the caller decides how often to say so.
   */
  private constructor(
    private readonly fd: number,
    private readonly maxWaiting: number,
    private readonly onError: (err: Error) => void,
  ) {}

  /** `file` undefined: standard output. Throws a clear error when the file cannot be opened. */
  static open(file: string | undefined, maxWaiting: number, onError: (err: Error) => void): LogFile {
    return new LogFile(file === undefined ? 1 : openForAppend(file), maxWaiting, onError);
  }

  /** Queues a batch; it is written after those before it. The buffer must not change afterwards. */
  write(batch: Buffer): void {
    if (this.closing) return;
    if (this.waiting + batch.length > this.maxWaiting) {
      this.onError(new Error(`more than ${this.maxWaiting} bytes wait to be written; ${batch.length} bytes of lines dropped`));
      return;
    }
    this.queue.push(batch);
    this.waiting += batch.length;
    this.next();
  }

  /** Writes what waits, then closes the file (standard output stays open); gives up after `deadlineMs`. */
  close(deadlineMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, deadlineMs);
      timer.unref();
      const fd = this.fd;
      let finished = false;
      function done(): void {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (fd === 1) resolve();
        else closeFd(fd, () => resolve());
      }
      this.closing = done;
      clearTimeout(this.retry);
      if (!this.writing) {
        if (this.queue.length === 0) done();
        else this.next();
      }
    });
  }

  private next(): void {
    if (this.writing) return;
    const batch = this.queue[0];
    if (!batch) return this.closing?.();
    this.writing = true;
    write(this.fd, batch, 0, batch.length, null, (err, written) => {
      this.writing = false;
      if (err) {
        const again = (err as NodeJS.ErrnoException).code === 'EAGAIN';
        if (!again) this.onError(err);
        // Standard output that is full (EAGAIN) is tried again soon; a failing file every RETRY_MS.
        // While closing, a failing file is left at once: its lines cannot be saved.
        if (this.closing && !again) return this.closing();
        this.retry = setTimeout(() => this.next(), again ? 10 : RETRY_MS);
        this.retry.unref();
        return;
      }
      this.waiting -= written;
      if (written < batch.length) this.queue[0] = batch.subarray(written);
      else this.queue.shift();
      this.next();
    });
  }
}

/** Creates a folder and its missing parents one level at a time (node's recursive mkdir never
 *  returns for some paths, such as under /proc). */
function makeFolders(folder: string): void {
  if (existsSync(folder)) return;
  const parent = dirname(folder);
  if (parent !== folder) makeFolders(parent);
  mkdirSync(folder);
}

/** Opens (and creates, with its folder) the file now, so a path that cannot be written is an error
 *  at start or reload, not later. Non-blocking: a FIFO nobody reads is refused, not waited on. */
function openForAppend(file: string): number {
  try {
    makeFolders(dirname(file));
    return openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o644);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`log.file: cannot open ${JSON.stringify(file)} for the access log (${e.code ?? e.message})`);
  }
}
