/** Recent event ids, bounded so a long thred's memory and continue-as-new payload stay small. */
export class RecentIds {
  private readonly set: Set<string>;
  private readonly order: string[];
  constructor(
    initial: string[],
    private readonly limit: number,
  ) {
    this.order = initial.slice(-limit);
    this.set = new Set(this.order);
  }
  /** Adds the id; false when it was already seen. */
  add(id: string): boolean {
    if (this.set.has(id)) return false;
    this.set.add(id);
    this.order.push(id);
    if (this.order.length > this.limit) this.set.delete(this.order.shift()!);
    return true;
  }
  toArray(): string[] {
    return [...this.order];
  }
}
