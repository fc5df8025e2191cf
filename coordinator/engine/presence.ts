/** Which sites hold an open task stream right now, and since when the others are away. */
export class Presence {
  private readonly streams = new Map<string, number>();
  private readonly awaySince = new Map<string, number>();

  constructor(private readonly startedAtMs: number) {}

  connected(site: string): void {
    this.streams.set(site, (this.streams.get(site) ?? 0) + 1);
    this.awaySince.delete(site);
  }

  disconnected(site: string, now: number): void {
    const n = (this.streams.get(site) ?? 1) - 1;
    if (n > 0) this.streams.set(site, n);
    else {
      this.streams.delete(site);
      this.awaySince.set(site, now);
    }
  }

  isConnected(site: string): boolean {
    return (this.streams.get(site) ?? 0) > 0;
  }

  /** Milliseconds the site has been away (since coordinator start if never seen). 0 if connected. */
  awayFor(site: string, now: number): number {
    if (this.isConnected(site)) return 0;
    return now - (this.awaySince.get(site) ?? this.startedAtMs);
  }
}
