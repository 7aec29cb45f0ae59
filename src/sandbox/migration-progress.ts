/** The word `migration_progress` carries for a driver-assisted migration whose backend cannot measure it. */
export const INDETERMINATE_PROGRESS = 'in progress';

export interface ProgressReading {
  percent: number;
  bytes: number;
}

/**
 * What one migration has shown as progress: never lower than a value already shown, "99" at most while the copy
 * runs, "100" only once it is complete (the progress contract of docs/progress-reporting.md).
 */
export class ProgressMeter {
  private bytes = 0;
  private percent = 0;

  /** Takes a copy position (bytes through the volume) and answers the reading to show. */
  observe(position: number | undefined, bytesTotal: number): ProgressReading {
    if (position !== undefined && bytesTotal > 0) {
      this.bytes = Math.max(this.bytes, Math.min(position, bytesTotal));
      this.percent = Math.max(this.percent, Math.min(99, Math.floor((this.bytes * 100) / bytesTotal)));
    }
    return this.reading;
  }

  complete(bytesTotal: number): void {
    this.bytes = bytesTotal;
    this.percent = 100;
  }

  get reading(): ProgressReading {
    return { percent: this.percent, bytes: this.bytes };
  }
}
