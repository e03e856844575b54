export interface SoakOptions {
  /** Length of each of the two phases (70 % and 150 % of saturation). */
  phaseMs: number;
  threds: number;
  /** Applied events/s taken as saturation instead of measuring it (the closed loop's figure is a lower bound). */
  saturation?: number;
}
