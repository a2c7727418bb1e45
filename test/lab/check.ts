/** The test's verdicts: every check is printed (TAP-like) and failures are collected, so one broken notebook does
 * not hide the state of the others; the process exits non-zero if any check failed. */
export class Checks {
  readonly failures: string[] = [];
  private count = 0;

  ok(cond: boolean, what: string, detail = ''): boolean {
    this.count++;
    if (cond) {
      console.log(`ok ${this.count} - ${what}${detail ? ` (${detail})` : ''}`);
    } else {
      console.log(`not ok ${this.count} - ${what}${detail ? `\n  # ${detail.replace(/\n/g, '\n  # ')}` : ''}`);
      this.failures.push(what);
    }
    return cond;
  }

  /** Runs a group of steps; an exception fails the group (with its message) instead of ending the run. */
  async group(name: string, fn: () => Promise<void>): Promise<void> {
    console.log(`# ${name}`);
    try {
      await fn();
    } catch (e) {
      this.ok(false, `${name}: finished without an exception`, (e as Error).stack ?? String(e));
    }
  }

  summary(): string {
    return `${this.count - this.failures.length}/${this.count} checks passed`
      + (this.failures.length ? `; failed:\n  - ${this.failures.join('\n  - ')}` : '');
  }
}
