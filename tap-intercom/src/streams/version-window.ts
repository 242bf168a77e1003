/**
 * The keys handled recently, each with the replication value it was handled at, so a record read
 * twice in one run (a page that shifted under offset pagination, a scroll restarted from the
 * beginning) is handled once. A source sorted by the replication value can only return again what
 * lies near its current position, so its caller forgets what lies below a floor after each page:
 * memory then follows the width of that window, not the size of the workspace.
 */
export class VersionWindow {
  private readonly versions = new Map<string, unknown>();

  /** Whether this key was handled at this value (and not forgotten since). */
  has(key: string, version: unknown): boolean {
    return this.versions.has(key) && this.versions.get(key) === version;
  }

  set(key: string, version: unknown): void {
    this.versions.set(key, version);
  }

  /** Forgets the keys last handled at a numeric value below `floor`. */
  forgetBelow(floor: number): void {
    for (const [key, version] of this.versions) if (typeof version === "number" && version < floor) this.versions.delete(key);
  }

  get size(): number {
    return this.versions.size;
  }
}
