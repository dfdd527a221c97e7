/**
 * For protocols without a stability flag (XK3190): a weight is stable once the last `count` readings lie within
 * ±`toleranceKg` of each other. Pure: readings in, verdict out.
 */
export class StabilityWindow {
  private readonly recent: number[] = [];
  constructor(private readonly count = 5, private readonly toleranceKg = 0.002) {}

  push(weightKg: number): { stable: boolean; weightKg: number } {
    this.recent.push(weightKg);
    if (this.recent.length > this.count) this.recent.shift();
    const full = this.recent.length === this.count;
    const min = Math.min(...this.recent);
    const max = Math.max(...this.recent);
    // The epsilon absorbs binary fractions: 20.51 − 20.49 is 0.020000000000003 in doubles.
    const stable = full && max - min <= 2 * this.toleranceKg + 1e-9;
    // Report the window's mean when stable: it is the best estimate of the load, not the last jittery sample.
    return { stable, weightKg: stable ? Number((this.recent.reduce((a, b) => a + b, 0) / this.count).toPrecision(12)) : weightKg };
  }

  reset(): void {
    this.recent.length = 0;
  }
}
