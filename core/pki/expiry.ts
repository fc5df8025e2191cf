/**
 * Short-lived certificates need renewing before they lapse. The coordinator sees every
 * participant's certificate on every call; `ExpiryWatch` turns that into one warning per
 * certificate (and again each day) once fewer than `warnDays` remain, naming who must renew.
 */
import { DAY_MS } from './ca.ts';
import type { Identity } from './identity.ts';

/** Warn this long before a certificate expires: a third of the default 90-day life. */
export const DEFAULT_EXPIRY_WARN_DAYS = 30;

export interface ExpiryWarning {
  readonly name: string;
  readonly role: string;
  readonly serial: string;
  readonly notAfter: string;
  /** Whole days left, rounded down (0 on the last day). */
  readonly daysLeft: number;
}

export class ExpiryWatch {
  readonly #warnedOn = new Map<string, number>();

  constructor(
    readonly onWarning: (w: ExpiryWarning) => void,
    readonly warnDays: number = DEFAULT_EXPIRY_WARN_DAYS,
    readonly now: () => number = Date.now,
  ) {}

  /** Notes a certificate in use; warns when it is within `warnDays` of expiry, at most once a day per serial. */
  note(id: Pick<Identity, 'name' | 'role' | 'serial'>, notAfter: Date): void {
    const now = this.now();
    const left = notAfter.getTime() - now;
    if (!(left < this.warnDays * DAY_MS)) return;
    const day = Math.floor(now / DAY_MS);
    if (this.#warnedOn.get(id.serial) === day) return;
    this.#warnedOn.set(id.serial, day);
    this.onWarning({ name: id.name, role: id.role, serial: id.serial, notAfter: notAfter.toISOString(), daysLeft: Math.max(0, Math.floor(left / DAY_MS)) });
  }
}
